import type { Strategy } from '../../../src/core/types.js';
import type { AgentSpec } from './agent-fleet.js';
import { HOST_NAMES, type HostName } from './topology.js';

export type FailureKind = 'graceful' | 'node-loss';

export interface FailoverScenario {
  readonly id: string;
  readonly strategy: Strategy;
  readonly agents: Readonly<Record<HostName, Omit<AgentSpec, 'host'>>>;
  readonly failures: readonly FailureKind[];
  /** false: a negative control, which must NOT recover within its observation window. */
  readonly expectRecovery: boolean;
  /** Pause the controller just before the failure (events queue up, nothing is sent). */
  readonly controllerStopped?: boolean;
  /** Pin the gateway's ARP entry in the VMs, so a scenario whose ARP replies get eaten starts working. */
  readonly pinGatewayArp?: boolean;
  /**
   * Between cases, delete the router MAC the computes learned (what an operator would do, or a
   * 300 s `ageing`), so a case that never recovered leaves a working baseline for the next.
   */
  readonly flushLearnedBetweenCases?: boolean;
  /**
   * Give both network nodes a DHCP port on the tenant network (as Neutron network nodes usually
   * have), so the standby's host is present before the failover and only the binding moves.
   */
  readonly dhcpOnNetworkNodes?: boolean;
  readonly why: string;
}

const LEARN = { learning: true, arp: 'off' } as const;
const LINUX_BRIDGE = { learning: false, arp: 'proxy' } as const;

export const SCENARIOS: readonly FailoverScenario[] = [
  {
    id: 'tunnel',
    strategy: 'tunnel',
    agents: { compute1: LEARN, compute2: LEARN, net1: LEARN, net2: LEARN },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    why: "flooding to both network nodes + MAC learning: the new master's GARP repoints the learned entry",
  },
  {
    id: 'master-binding',
    strategy: 'master-binding',
    agents: { compute1: LINUX_BRIDGE, compute2: LINUX_BRIDGE, net1: LINUX_BRIDGE, net2: LINUX_BRIDGE },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    why: 'Linux-bridge style (ARP proxy, no learning): the controller moves unicast + ARP entries to the new master',
  },
  {
    id: 'master-binding/dhcp-on-network-nodes',
    strategy: 'master-binding',
    agents: { compute1: LINUX_BRIDGE, compute2: LINUX_BRIDGE, net1: LINUX_BRIDGE, net2: LINUX_BRIDGE },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    dhcpOnNetworkNodes: true,
    why: 'as master-binding, but the standby host is already in the network (its DHCP port): no device to create at failover',
  },
  {
    id: 'auto',
    strategy: 'auto',
    agents: { compute1: LEARN, compute2: { learning: false, arp: 'off' }, net1: LEARN, net2: LEARN },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    why: 'compute1 learns (tunnel view), compute2 does not (master-binding view); both must recover',
  },
  {
    id: 'master-binding/controller-stopped',
    strategy: 'master-binding',
    agents: { compute1: LINUX_BRIDGE, compute2: LINUX_BRIDGE, net1: LINUX_BRIDGE, net2: LINUX_BRIDGE },
    failures: ['graceful', 'node-loss'],
    expectRecovery: false,
    controllerStopped: true,
    why: 'negative control: nobody repoints the permanent entries, so traffic stays black-holed',
  },
  {
    id: 'tunnel/arp-proxy-on-network-nodes',
    strategy: 'tunnel',
    agents: {
      compute1: LEARN,
      compute2: LEARN,
      net1: { learning: true, arp: 'proxy' },
      net2: { learning: true, arp: 'proxy' },
    },
    failures: ['graceful', 'node-loss'],
    expectRecovery: false,
    pinGatewayArp: true,
    flushLearnedBetweenCases: true,
    why: "negative control: the vxlan proxy on the new master's VTEP eats its GARPs (dataplane.md finding 2)",
  },
];

export function agentSpecs(scenario: FailoverScenario): AgentSpec[] {
  return HOST_NAMES.map((host) => ({ host, ...scenario.agents[host] }));
}
