import type { AgentCapabilities, AgentTable, Entry } from '../../src/core/types.js';
import type { VtepNode } from '../../tools/sim/dataplane.js';
import type { FailoverInput, HaAddress } from '../../tools/sim/failover-sim.js';

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

/**
 * A keepalived VIP with a virtual MAC on the VMs of hA and hB, pinged by a VM on each of three
 * client agents: c1 learns and answers ARP (Open vSwitch), c2 runs a kernel ARP proxy without
 * learning, c3 neither learns nor answers ARP (it floods). The default A/B scenario in small.
 * Steps are 10 ms from -1000 ms, so the takeover at 815 ms is seen at 820 ms.
 */
export const VIP: HaAddress = { networkId: 'n1', mac: '00:00:5e:00:01:0a', ip: '192.0.2.100', adverts: true };
const HOSTS = ['hA', 'hB', 'c1', 'c2', 'c3'] as const;
type Host = (typeof HOSTS)[number];
const tunnelIp = (h: Host) => `198.51.100.${HOSTS.indexOf(h) + 1}`;
const vmOf = (h: Host) => ({
  host: h,
  networkId: 'n1',
  mac: `fa:16:3e:00:00:${HOSTS.indexOf(h) + 10}`,
  ip: `192.0.2.${HOSTS.indexOf(h) + 10}`,
});
const CAPS: Record<Host, AgentCapabilities> = {
  hA: OVS,
  hB: KERNEL_PROXY,
  c1: OVS,
  c2: KERNEL_PROXY,
  c3: KERNEL_NOLEARNING,
};
export const VIP_CLIENTS = ['c1', 'c2', 'c3'] as const;

/** tunnel: flooding entries and every VM's own `[mac, ip]`; master-binding adds the VIP behind its owner. */
export function vipTables(owner: Host | null): { host: Host; networkId: string; table: AgentTable }[] {
  return HOSTS.map((host) => {
    const table: Record<string, Entry[]> = {};
    for (const other of HOSTS.filter((h) => h !== host)) {
      const vm = vmOf(other);
      const entries: Entry[] = [FLOOD, [vm.mac, vm.ip]];
      if (owner === other) entries.push([VIP.mac, VIP.ip]);
      table[tunnelIp(other)] = entries;
    }
    return { host, networkId: 'n1', table };
  });
}

export function vipFailover(o: Partial<FailoverInput> = {}): FailoverInput {
  return {
    nodes: HOSTS.map((host) => ({ host, tunnelIp: tunnelIp(host), capabilities: CAPS[host] })),
    initial: vipTables(null),
    changes: [],
    interfaces: [VIP],
    vms: VIP_CLIENTS.map(vmOf),
    from: 'hA',
    to: 'hB',
    mode: 'graceful',
    vrrp: { takeoverMs: 815, garpRepeatMs: 5000, advertMs: 1000 },
    windowMs: 20_000,
    ...o,
  };
}
