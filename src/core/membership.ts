import type { Agent, HaView, Network } from './types.js';

/** What the planner needs to know about a present agent: where to flood to and how it sees HA ports. */
export interface Member {
  readonly tunnelIp: string;
  /** The view the agent's own capabilities call for (`computeHaView`); see `computeRouterView`. */
  readonly haView: HaView;
  /**
   * Present, and true, only for an agent that runs a kernel ARP proxy: it drops every ARP reply and
   * GARP an HA router it hosts sends, so it forces the master-binding view on the router's network
   * (`computeRouterView`). Absent means false, so the records of other agents keep their shape.
   */
  readonly arpProxy?: true;
}

/**
 * The view an agent's own capabilities call for (guarantee 1, docs/architecture.md): an agent that learns from tunnels and
 * does not suppress ARP can find the master by itself (`tunnel`); any other agent would black-hole
 * traffic without a unicast entry (`master-binding`). Under `auto` this is only half of the rule:
 * see `computeRouterView`.
 */
export function computeHaView(agent: Agent): HaView {
  return agent.capabilities.learning && agent.capabilities.arp !== 'proxy' ? 'tunnel' : 'master-binding';
}

/**
 * The view `self` gets of an `auto` HA router scheduled on `hosting`, in one network whose
 * present members are `members`. `tunnel` iff the agent learns, does not run an ARP proxy, AND no
 * member hosting the router runs an ARP proxy; otherwise `master-binding`. Under the tunnel view
 * the agent finds the master only from the ARP replies and GARPs the master sends over the
 * tunnel, and a hosting node with kernel ARP proxy drops every one of them
 * (`docs/dataplane.md` §6, findings 2-3), so a learning agent would never recover after a
 * failover onto that node.
 *
 * A scheduled host whose agent is unknown, has no tunnel IP or does not l2pop this network's type
 * is not a member: it has no VTEP in this network's overlay, so it cannot be on the tunnel data
 * path and does not count. When it reports and becomes a member, the report replans the network
 * from all its ports (`src/app/on-agent-change.ts`, `planMemberChanges`), which moves every other
 * agent's view with it.
 *
 * A pure function of the facts: `hosting` is the router's schedule, `members` follows from the
 * agents' reports. Every hosting host is present through the router's own port, so in the
 * incremental planner its membership only changes with that port's contribution.
 */
export function computeRouterView(
  self: Member,
  hosting: readonly string[],
  members: Readonly<Record<string, Member>>,
): HaView {
  if (self.haView === 'master-binding') return 'master-binding';
  return hosting.some((h) => members[h]?.arpProxy === true) ? 'master-binding' : 'tunnel';
}

/**
 * An agent takes part in a network when it has a tunnel IP and l2pops the network's type
 * (Neutron `_validate_segment`, docs/neutron-l2pop.md §1.3). Returns null when it does not.
 */
export function computeMember(agent: Agent | undefined, network: Network): Member | null {
  if (!agent?.tunnelIp) return null;
  if (!agent.networkTypes.includes(network.networkType)) return null;
  const member: Member = { tunnelIp: agent.tunnelIp, haView: computeHaView(agent) };
  return agent.capabilities.arp === 'proxy' ? { ...member, arpProxy: true } : member;
}
