import type { Agent, HaView, Network } from './types.js';

/** What the planner needs to know about a present agent: where to flood to and how it sees HA ports. */
export interface Member {
  readonly tunnelIp: string;
  readonly haView: HaView;
}

/**
 * `auto` picks per receiving agent (brief §1): an agent that learns from tunnels and does not
 * suppress ARP finds the master by itself, so it gets the `tunnel` view; any other agent would
 * black-hole traffic without a unicast entry, so it gets the `master-binding` view.
 */
export function computeHaView(agent: Agent): HaView {
  return agent.capabilities.learning && agent.capabilities.arp !== 'proxy' ? 'tunnel' : 'master-binding';
}

/**
 * An agent takes part in a network when it has a tunnel IP and l2pops the network's type
 * (Neutron `_validate_segment`, spec §1.5-1.6). Returns null when it does not.
 */
export function computeMember(agent: Agent | undefined, network: Network): Member | null {
  if (!agent?.tunnelIp) return null;
  if (!agent.networkTypes.includes(network.networkType)) return null;
  return { tunnelIp: agent.tunnelIp, haView: computeHaView(agent) };
}
