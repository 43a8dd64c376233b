import type { AgentTable, Strategy } from '../../src/core/types.js';
import { type ReplayResult, replayTrace } from '../../tools/replay/replay.js';
import type { DeviationId } from './ids.js';

/**
 * One small trace per deviation, in the oracle's scenario format, so that the same trace shows our
 * behaviour (through `replayTrace`) and Neutron's (through the oracle, neutron-side.test.ts).
 */

type Step = Record<string, unknown>;

export interface DeviationTrace {
  readonly agents: Record<string, unknown>[];
  readonly networks: Record<string, unknown>[];
  readonly steps: Step[];
}

export const FLOOD = ['00:00:00:00:00:00', '0.0.0.0'] as const;

const net1 = {
  name: 'net1',
  id: '11111111-1111-4111-8111-000000000001',
  network_type: 'vxlan',
  segmentation_id: 1001,
  subnets: [{ cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1' }],
};
export const NET1 = net1.id;
export const VIP = '10.0.0.100';
export const VRRP_MAC = '00:00:5e:00:01:07';

function agent(host: string, ip: string, extra: Record<string, unknown> = {}) {
  return { host, tunnel_ip: ip, ...extra };
}

function vm(port: string, host: string, mac: string, ip: string, network = 'net1'): Step[] {
  return [
    { op: 'create_port', port, network, host, mac, ips: [ip] },
    { op: 'port_up', port },
  ];
}

/** A compute, two network nodes hosting HA router r1, and its interface `r1-if` (10.0.0.1). */
const haAgents = [
  agent('compute1', '192.0.2.11'),
  agent('netnode1', '192.0.2.1', { l3_agent: true }),
  agent('netnode2', '192.0.2.2', { l3_agent: true }),
];
const twoHosts = [agent('host1', '192.0.2.1'), agent('host2', '192.0.2.2')];
const vm1 = vm('vm1', 'compute1', 'fa:16:3e:00:00:01', '10.0.0.11');
const haInterface: Step[] = [
  {
    op: 'create_port',
    port: 'r1-if',
    network: 'net1',
    device_owner: '',
    device_id: '',
    mac: 'fa:16:3e:aa:00:01',
    ips: ['10.0.0.1'],
  },
  { op: 'router_interface_add', router: 'r1', port: 'r1-if' },
];

/** vm1 on compute1, then r1's interface wired on its master netnode1. */
const haWiredOnMaster: Step[] = [
  ...vm1,
  { op: 'ha_router_create', router: 'r1', hosts: ['netnode1', 'netnode2'] },
  { op: 'ha_state', router: 'r1', host: 'netnode1', state: 'active' },
  ...haInterface,
  { op: 'port_up', port: 'r1-if', host: 'netnode1' },
];

export const TRACES = {
  /** host2 comes back with a new tunnel IP. */
  D1: {
    agents: [...twoHosts, agent('host3', '192.0.2.3')],
    networks: [net1],
    steps: [
      ...vm('vm1', 'host1', 'fa:16:3e:00:00:01', '10.0.0.11'),
      ...vm('vm2', 'host2', 'fa:16:3e:00:00:02', '10.0.0.12'),
      ...vm('vm3', 'host3', 'fa:16:3e:00:00:03', '10.0.0.13'),
      { op: 'agent_restart', host: 'host2', tunnel_ip: '192.0.2.22' },
    ],
  },
  /** A fixed-IP change on vm3, bound to host2 but never up. */
  D2: {
    agents: twoHosts,
    networks: [net1],
    steps: [
      ...vm('vm1', 'host1', 'fa:16:3e:00:00:01', '10.0.0.11'),
      ...vm('vm2', 'host2', 'fa:16:3e:00:00:02', '10.0.0.12'),
      {
        op: 'create_port',
        port: 'vm3',
        network: 'net1',
        host: 'host2',
        mac: 'fa:16:3e:00:00:03',
        ips: ['10.0.0.13'],
      },
      { op: 'update_ips', port: 'vm3', ips: ['10.0.0.23'] },
    ],
  },
  /** A vlan network: host4 l2pops vlan, host1 does not (it only tunnels). */
  D3: {
    agents: [
      agent('host1', '192.0.2.1', { tunnel_types: ['vxlan', 'gre'] }),
      agent('host4', '192.0.2.4', { tunnel_types: [], l2pop_network_types: ['vlan'] }),
      agent('host5', '192.0.2.5', { tunnel_types: [], l2pop_network_types: ['vlan'] }),
    ],
    networks: [
      {
        name: 'vlan1',
        id: '11111111-1111-4111-8111-000000000003',
        network_type: 'vlan',
        physical_network: 'physnet1',
        segmentation_id: 42,
        subnets: [{ cidr: '10.3.0.0/24' }],
      },
    ],
    steps: [
      ...vm('v1', 'host1', 'fa:16:3e:00:03:01', '10.3.0.11', 'vlan1'),
      ...vm('v5', 'host5', 'fa:16:3e:00:03:05', '10.3.0.15', 'vlan1'),
      ...vm('v4', 'host4', 'fa:16:3e:00:03:04', '10.3.0.14', 'vlan1'),
    ],
  },
  /** netnode2 reports the interface up while it is still unbound; netnode1 then becomes master. */
  D4: {
    agents: haAgents,
    networks: [net1],
    steps: [
      ...vm1,
      { op: 'ha_router_create', router: 'r1', hosts: ['netnode1', 'netnode2'] },
      ...haInterface,
      { op: 'port_up', port: 'r1-if', host: 'netnode2' },
      { op: 'ha_state', router: 'r1', host: 'netnode1', state: 'active' },
      { op: 'port_up', port: 'r1-if', host: 'netnode1' },
    ],
  },
  /** Failover to netnode2; compute2 boots a VM before netnode2's agent re-reports the interface. */
  D5: {
    agents: [...haAgents, agent('compute2', '192.0.2.12')],
    networks: [net1],
    steps: [
      ...haWiredOnMaster,
      { op: 'port_up', port: 'r1-if', host: 'netnode2' },
      { op: 'ha_state', router: 'r1', host: 'netnode1', state: 'standby' },
      { op: 'ha_state', router: 'r1', host: 'netnode2', state: 'active' },
      ...vm('vm2', 'compute2', 'fa:16:3e:00:00:02', '10.0.0.12'),
    ],
  },
  /** An HA interface on a vlan network is removed while bound to netnode1, which does not l2pop vlan. */
  D6: {
    agents: [
      agent('netnode1', '192.0.2.1', { l3_agent: true }),
      agent('netnode2', '192.0.2.2', { l3_agent: true, l2pop_network_types: ['vxlan', 'vlan'] }),
      agent('compute3', '192.0.2.13', { l2pop_network_types: ['vxlan', 'vlan'] }),
    ],
    networks: [
      {
        name: 'vlan1',
        id: '11111111-1111-4111-8111-000000000003',
        network_type: 'vlan',
        physical_network: 'physnet1',
        segmentation_id: 101,
        subnets: [{ cidr: '10.1.0.0/24', gateway_ip: '10.1.0.1' }],
      },
    ],
    steps: [
      ...vm('vm5', 'compute3', 'fa:16:3e:00:00:06', '10.1.0.139', 'vlan1'),
      { op: 'ha_router_create', router: 'r1', hosts: ['netnode2', 'netnode1'] },
      { op: 'ha_state', router: 'r1', host: 'netnode2', state: 'active' },
      {
        op: 'create_port',
        port: 'r1-if',
        network: 'vlan1',
        device_owner: '',
        device_id: '',
        mac: 'fa:16:3e:aa:00:04',
        ips: ['10.1.0.1'],
      },
      { op: 'router_interface_add', router: 'r1', port: 'r1-if' },
      { op: 'port_up', port: 'r1-if', host: 'netnode2' },
      { op: 'port_up', port: 'r1-if', host: 'netnode1' },
      { op: 'ha_state', router: 'r1', host: 'netnode2', state: 'standby' },
      { op: 'ha_state', router: 'r1', host: 'netnode1', state: 'active' },
      { op: 'port_up', port: 'r1-if', host: 'netnode1' },
      { op: 'router_interface_remove', router: 'r1', port: 'r1-if' },
    ],
  },
  /** The interface is wired on the master only; the standby netnode2 never reports it (conformance S27). */
  D7: {
    agents: haAgents,
    networks: [net1],
    steps: [...haWiredOnMaster],
  },
  /** host1's first and second ports, with host2's port in between (conformance S08). */
  D8: {
    agents: twoHosts,
    networks: [net1],
    steps: [
      {
        op: 'create_port',
        port: 'p1',
        network: 'net1',
        host: 'host1',
        mac: 'fa:16:3e:00:00:01',
        ips: ['10.0.0.3'],
      },
      ...vm('p2', 'host1', 'fa:16:3e:00:00:02', '10.0.0.4'),
      ...vm('p3', 'host2', 'fa:16:3e:00:00:03', '10.0.0.5'),
      { op: 'port_up', port: 'p1' },
    ],
  },
  /** Two networks; host3 is only in net2. The last port is host2's third in net1. */
  D9: {
    agents: [...twoHosts, agent('host3', '192.0.2.3')],
    networks: [
      net1,
      {
        name: 'net2',
        id: '11111111-1111-4111-8111-000000000002',
        network_type: 'vxlan',
        segmentation_id: 1002,
        subnets: [{ cidr: '10.2.0.0/24' }],
      },
    ],
    steps: [
      ...vm('a', 'host1', 'fa:16:3e:00:00:01', '10.0.0.11'),
      ...vm('b', 'host2', 'fa:16:3e:00:00:02', '10.0.0.12'),
      ...vm('c', 'host3', 'fa:16:3e:00:02:03', '10.2.0.13', 'net2'),
      ...vm('d', 'host2', 'fa:16:3e:00:00:04', '10.0.0.14'),
      ...vm('e', 'host2', 'fa:16:3e:00:00:05', '10.0.0.15'),
    ],
  },
  /** The master's agent reports the interface DOWN; the router stays scheduled there (conformance S30). */
  D10: {
    agents: haAgents,
    networks: [net1],
    steps: [
      ...haWiredOnMaster,
      { op: 'port_up', port: 'r1-if', host: 'netnode2' },
      { op: 'port_down', port: 'r1-if', host: 'netnode1' },
    ],
  },
  /** An upper-case MAC. */
  D11: {
    agents: twoHosts,
    networks: [net1],
    steps: [
      ...vm('a', 'host1', 'FA:16:3E:00:00:0A', '10.0.0.11'),
      ...vm('b', 'host2', 'fa:16:3e:00:00:0b', '10.0.0.12'),
    ],
  },
  /**
   * A keepalived pair: vm1 (host1) and vm2 (host2) carry VIP 10.0.0.100 as an allowed-address pair
   * with the VRRP virtual MAC; vm3 on host3 is a client. vm1 announces the VIP, then vm2 takes it.
   */
  D15: vipPair([agent('host1', '192.0.2.1'), agent('host2', '192.0.2.2'), agent('host3', '192.0.2.3')]),
  /** The same pair, host3's agent learns nothing (kernel VXLAN with an ARP proxy), host4's learns. */
  D16: vipPair([
    agent('host1', '192.0.2.1'),
    agent('host2', '192.0.2.2'),
    agent('host3', '192.0.2.3', { capabilities: { learning: false, arp: 'proxy' } }),
    agent('host4', '192.0.2.4'),
  ]),
  /** Under master-binding: r1's interface wired on its master netnode1, then a failover to netnode2. */
  D17: {
    agents: haAgents,
    networks: [net1],
    steps: [
      ...haWiredOnMaster,
      { op: 'ha_state', router: 'r1', host: 'netnode1', state: 'standby' },
      { op: 'ha_state', router: 'r1', host: 'netnode2', state: 'active' },
    ],
  },
  /**
   * vm2 (host2) is given an allowed-address pair covering vm1's fixed IP 10.0.0.11 (vm1 bound on
   * host1): first as the bare address, then as a prefix. Both are recorded (the overlap reported);
   * what is refused is the pair's use: vm2's claim of 10.0.0.11 (`expect_error`,
   * `aap_overlaps_fixed_ip`). Its claim of 10.0.0.12, which nobody holds, binds; vm3 then takes
   * 10.0.0.12 as its fixed IP, which withdraws vm2's binding there. Neutron runs the updates as
   * ordinary ones and has no claims.
   */
  D18: {
    agents: twoHosts,
    networks: [net1],
    steps: [
      ...vm('vm1', 'host1', 'fa:16:3e:00:00:01', '10.0.0.11'),
      ...vm('vm2', 'host2', 'fa:16:3e:00:00:02', '10.0.0.20'),
      { op: 'update_port', port: 'vm2', body: { allowed_address_pairs: [{ ip_address: '10.0.0.11' }] } },
      { op: 'update_port', port: 'vm2', body: { allowed_address_pairs: [{ ip_address: '10.0.0.8/29' }] } },
      { op: 'vip_claim', port: 'vm2', ip: '10.0.0.11', expect_error: true },
      { op: 'vip_claim', port: 'vm2', ip: '10.0.0.12' },
      ...vm('vm3', 'host1', 'fa:16:3e:00:00:03', '10.0.0.12'),
    ],
  },
} satisfies Partial<Record<DeviationId, DeviationTrace>>;

/** A trace with its `expect_error` marks dropped: what Neutron is given. */
export function withoutExpectedErrors(trace: DeviationTrace): DeviationTrace {
  return { ...trace, steps: trace.steps.map(({ expect_error: _, ...step }) => step) };
}

function vipPair(agents: Record<string, unknown>[]): DeviationTrace {
  const pair = { allowed_address_pairs: [{ ip_address: VIP, mac_address: VRRP_MAC }] };
  return {
    agents,
    networks: [net1],
    steps: [
      ...vm('vm1', 'host1', 'fa:16:3e:00:00:01', '10.0.0.11'),
      ...vm('vm2', 'host2', 'fa:16:3e:00:00:02', '10.0.0.12'),
      ...vm('vm3', 'host3', 'fa:16:3e:00:00:03', '10.0.0.13'),
      ...(agents.length > 3 ? vm('vm4', 'host4', 'fa:16:3e:00:00:04', '10.0.0.14') : []),
      { op: 'update_port', port: 'vm1', body: pair },
      { op: 'update_port', port: 'vm2', body: pair },
      { op: 'vip_claim', port: 'vm1', ip: VIP, mac: VRRP_MAC },
      { op: 'vip_claim', port: 'vm2', ip: VIP, mac: VRRP_MAC },
    ],
  };
}

/** A multicast MAC, which Neutron's API accepts (it refuses only all-zero and broadcast). */
export const MULTICAST_MAC_TRACE: DeviationTrace = {
  ...TRACES.D11,
  steps: [
    ...vm('a', 'host1', 'fa:16:3e:00:00:0a', '10.0.0.11'),
    ...vm('m', 'host2', 'ff:16:3e:00:00:0b', '10.0.0.12'),
  ],
};

export function replay(trace: DeviationTrace, strategy: Strategy = 'tunnel'): Promise<ReplayResult> {
  return replayTrace(trace, { strategy });
}

/** The table an agent holds for a network, entries as plain arrays. */
export function tableOf(r: ReplayResult, host: string, networkId = NET1): Record<string, string[][]> {
  const t: AgentTable = r.agents.table(host, networkId);
  return Object.fromEntries(Object.entries(t).map(([ip, es]) => [ip, es.map((e) => [...e])]));
}

/** The trace up to (not including) step `n`. */
export function prefix(trace: DeviationTrace, n: number): DeviationTrace {
  return { ...trace, steps: trace.steps.slice(0, n) };
}
