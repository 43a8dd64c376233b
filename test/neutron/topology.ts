import type { Rng } from './rng.js';

/** An agent of a generated trace, with every key of the oracle's agent format spelled out. */
export interface GeneratedAgent {
  host: string;
  tunnel_ip: string;
  agent_type: string;
  tunnel_types: string[];
  l2pop_network_types: string[] | null;
  l3_agent: boolean;
}

export interface GeneratedNetwork {
  name: string;
  network_type: string;
  segmentation_id: number;
  physical_network?: string;
  subnets: { cidr: string; gateway_ip: string }[];
}

/** The two network nodes that host every HA router. */
export const NETWORK_NODES = ['netnode1', 'netnode2'] as const;

const TUNNEL_TYPE_MIX: readonly (readonly [readonly string[], number])[] = [
  [['vxlan', 'gre'], 5],
  [['vxlan'], 2],
  [['gre'], 1],
];

/**
 * 2-5 compute hosts and two network nodes with L3 agents; 1-3 networks of different types
 * (vxlan, gre, and in about 45% of traces vlan on physnet1). Some computes tunnel only one type,
 * so a gre port cannot land everywhere; vlan is l2pop'd only by agents that list it in
 * `l2pop_network_types` (docs/neutron-l2pop.md §1.3).
 */
export function buildTopology(rng: Rng): { agents: GeneratedAgent[]; networks: GeneratedNetwork[] } {
  const pool = rng.shuffle(['vxlan', 'gre', ...(rng.chance(0.45) ? ['vlan'] : [])]);
  const networks: GeneratedNetwork[] = [];
  const count = rng.int(1, 3);
  for (let k = 1; k <= count; k++) {
    const type = pool[(k - 1) % pool.length] ?? 'vxlan';
    const net: GeneratedNetwork = {
      name: `net${k}`,
      network_type: type,
      segmentation_id: type === 'vlan' ? 100 + k : type === 'gre' ? 2000 + k : 1000 + k,
      subnets: [{ cidr: `10.${k}.0.0/24`, gateway_ip: `10.${k}.0.1` }],
    };
    if (type === 'vlan') net.physical_network = 'physnet1';
    networks.push(net);
  }
  const computes = rng.int(2, 5);
  const agents: GeneratedAgent[] = NETWORK_NODES.map((host, i) => ({
    host,
    tunnel_ip: `192.0.2.${i + 1}`,
    agent_type: 'Open vSwitch agent',
    tunnel_types: ['vxlan', 'gre'],
    l2pop_network_types: null,
    l3_agent: true,
  }));
  for (let i = 1; i <= computes; i++) {
    agents.push({
      host: `compute${i}`,
      tunnel_ip: `192.0.2.${10 + i}`,
      agent_type: 'Open vSwitch agent',
      // the first two computes bind every tunnel type, so each network has two hosts to meet on
      tunnel_types: i <= 2 ? ['vxlan', 'gre'] : [...rng.weighted<readonly string[]>(TUNNEL_TYPE_MIX)],
      l2pop_network_types: null,
      l3_agent: false,
    });
  }
  if (networks.some((n) => n.network_type === 'vlan')) {
    // the first two computes always l2pop vlan, the others and the network nodes by chance
    agents.forEach((a, i) => {
      if (i === 2 || i === 3 || rng.chance(0.5)) a.l2pop_network_types = [...a.tunnel_types, 'vlan'];
    });
  }
  return { agents, networks };
}
