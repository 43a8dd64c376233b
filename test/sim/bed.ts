import type { AgentCapabilities, AgentTable, Entry } from '../../src/core/types.js';
import type { VtepNode } from '../../tools/sim/dataplane.js';
import type { FailoverInput } from '../../tools/sim/failover-sim.js';

/** The bed of docs/dataplane.md §6: compute1 with one VM, the HA router on net1 and net2. */
export const IP = { compute1: '198.51.100.11', net1: '198.51.100.21', net2: '198.51.100.22' } as const;
export const VM = { host: 'compute1', networkId: 'n1', mac: 'fa:16:3e:00:00:10', ip: '192.0.2.10' } as const;
export const RIF = { networkId: 'n1', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' } as const;
export const FLOOD: Entry = ['00:00:00:00:00:00', '0.0.0.0'];

export const OVS: AgentCapabilities = { learning: true, arp: 'responder' };
export const KERNEL_LEARNING: AgentCapabilities = { learning: true, arp: 'off' };
export const KERNEL_NOLEARNING: AgentCapabilities = { learning: false, arp: 'off' };
export const KERNEL_PROXY: AgentCapabilities = { learning: false, arp: 'proxy' };
export const KERNEL_PROXY_LEARNING: AgentCapabilities = { learning: true, arp: 'proxy' };

export function nodes(compute1: AgentCapabilities, net1: AgentCapabilities, net2 = net1): VtepNode[] {
  return [
    { host: 'compute1', tunnelIp: IP.compute1, capabilities: compute1 },
    { host: 'net1', tunnelIp: IP.net1, capabilities: net1 },
    { host: 'net2', tunnelIp: IP.net2, capabilities: net2 },
  ];
}

/** Strategy A: flood to both network nodes, no entry for the router port. */
export const TUNNEL: Record<string, AgentTable> = {
  compute1: { [IP.net1]: [FLOOD], [IP.net2]: [FLOOD] },
  net1: { [IP.compute1]: [FLOOD, [VM.mac, VM.ip]], [IP.net2]: [FLOOD] },
  net2: { [IP.compute1]: [FLOOD, [VM.mac, VM.ip]], [IP.net1]: [FLOOD] },
};

/** Strategy B with the master on `master`: a permanent entry (and ARP entry) for the router port. */
export function binding(master: 'net1' | 'net2'): Record<string, AgentTable> {
  return {
    compute1: { [IP[master]]: [FLOOD, [RIF.mac, RIF.ip]] },
    [master]: { [IP.compute1]: [FLOOD, [VM.mac, VM.ip]] },
    [master === 'net1' ? 'net2' : 'net1']: {},
  };
}

export function initial(tables: Record<string, AgentTable>): FailoverInput['initial'] {
  return Object.entries(tables).map(([host, table]) => ({ host, networkId: 'n1', table }));
}

export const GRACEFUL = { takeoverMs: 815, garpRepeatMs: 5000 };
export const NODE_LOSS = { takeoverMs: 3500, garpRepeatMs: 5000 };

/** A graceful failover net1 -> net2 with the given nodes and tables and no controller action. */
export function failover(n: VtepNode[], tables: Record<string, AgentTable>): FailoverInput {
  return {
    nodes: n,
    initial: initial(tables),
    changes: [],
    interfaces: [RIF],
    vms: [VM],
    from: 'net1',
    to: 'net2',
    mode: 'graceful',
    vrrp: GRACEFUL,
    windowMs: 20_000,
  };
}
