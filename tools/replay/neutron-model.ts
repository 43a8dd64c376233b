import type { InboundEvent } from '../../src/contracts/events.js';
import { OWNER } from '../../src/core/owners.js';
import type { PortStatus } from '../../src/core/types.js';
import type { Trace, TraceAgent } from './trace.js';

/** A port as the replay tracks it, with Neutron's binding and status semantics. */
export interface ModelPort {
  name: string;
  id: string;
  network: string;
  mac: string;
  ips: string[];
  owner: string;
  deviceId: string;
  host: string;
  status: PortStatus;
  /** Hosts with an ACTIVE distributed binding (DVR interfaces only). */
  dvrHosts: string[];
  revision: number;
  deleted: boolean;
  /** Neutron's `allowed_address_pairs`, as the API body gave them (absent: none). */
  allowedAddressPairs?: { ipAddress: string; macAddress?: string }[];
}

export interface ModelNetwork {
  id: string;
  name: string;
  networkType: string;
  segmentId: number;
  cidrs: string[];
  gateways: string[];
}

export interface ModelRouter {
  id: string;
  hosts: string[];
  states: Record<string, 'active' | 'standby'>;
}

export interface ModelAgent {
  spec: TraceAgent;
  tunnelIp: string;
  boot: number;
  revision: number;
}

/** The facts of a trace at one step, and the counters that keep replays deterministic. */
export interface NeutronModel {
  networks: Map<string, ModelNetwork>;
  ports: Map<string, ModelPort>;
  routers: Map<string, ModelRouter>;
  agents: Map<string, ModelAgent>;
  /** Ports each host reported up and not down since (the oracle's `plugged`). */
  plugged: Map<string, string[]>;
  macCounter: number;
  haSeq: number;
  /** `vip_claim` steps so far: their `at` and `seq`. */
  claimSeq: number;
}

export function createModel(trace: Trace): NeutronModel {
  const networks = new Map<string, ModelNetwork>();
  trace.networks.forEach((n, k) => {
    const subnets = n.subnets ?? [{ cidr: `10.${k + 1}.0.0/24` }];
    networks.set(n.name, {
      id: n.id ?? n.name,
      name: n.name,
      networkType: n.network_type,
      segmentId: n.segmentation_id ?? 900000 + k,
      cidrs: subnets.map((s) => s.cidr),
      gateways: subnets.map((s) => s.gateway_ip ?? defaultGateway(s.cidr)),
    });
  });
  const agents = new Map<string, ModelAgent>();
  for (const a of trace.agents) agents.set(a.host, { spec: a, tunnelIp: a.tunnel_ip, boot: 1, revision: 1 });
  return {
    networks,
    ports: new Map(),
    routers: new Map(),
    agents,
    plugged: new Map(),
    macCounter: 0,
    haSeq: 0,
    claimSeq: 0,
  };
}

function defaultGateway(cidr: string): string {
  const [addr] = cidr.split('/');
  const parts = (addr ?? '').split('.');
  return parts.length === 4 ? `${parts.slice(0, 3).join('.')}.1` : '';
}

/** Next free IPv4 address of the network's first subnet, from .2 up (the gateway is .1). */
export function allocateIp(model: NeutronModel, network: ModelNetwork): string {
  const used = new Set(
    [...model.ports.values()].filter((p) => !p.deleted && p.network === network.name).flatMap((p) => p.ips),
  );
  const prefix = (network.cidrs[0] ?? '10.0.0.0/24').split('/')[0]?.split('.').slice(0, 3).join('.');
  for (let i = 2; i < 255; i++) {
    const ip = `${prefix}.${i}`;
    if (!used.has(ip) && !network.gateways.includes(ip)) return ip;
  }
  throw new Error(`network ${network.name}: no free address`);
}

export function isHaPort(model: NeutronModel, p: ModelPort): boolean {
  return (
    p.owner === OWNER.haInterface || (p.owner === OWNER.centralizedSnat && model.routers.has(p.deviceId))
  );
}

export function portEvent(model: NeutronModel, p: ModelPort): InboundEvent {
  const net = model.networks.get(p.network);
  if (!net) throw new Error(`unknown network ${p.network}`);
  if (p.deleted) return { type: 'port.delete', v: 1, portId: p.id, networkId: net.id, revision: p.revision };
  return {
    type: 'port.upsert',
    v: 1,
    network: {
      id: net.id,
      name: net.name,
      networkType: net.networkType as 'vxlan',
      segmentId: net.segmentId,
    },
    port: {
      id: p.id,
      networkId: net.id,
      mac: p.mac,
      ips: p.ips,
      deviceOwner: p.owner,
      deviceId: p.deviceId,
      host: p.host,
      status: p.status,
      dvrHosts: p.dvrHosts,
      revision: p.revision,
      ...(p.allowedAddressPairs ? { allowedAddressPairs: p.allowedAddressPairs } : {}),
    },
  };
}

export function agentEvent(a: ModelAgent): InboundEvent {
  const types = a.spec.l2pop_network_types ?? a.spec.tunnel_types;
  return {
    type: 'agent.report',
    v: 1,
    host: a.spec.host,
    tunnelIp: a.tunnelIp,
    agentType: a.spec.agent_type,
    networkTypes: types as ('vxlan' | 'gre')[],
    capabilities: a.spec.capabilities ?? { learning: true, arp: 'responder' },
    bootId: `${a.spec.host}-boot-${a.boot}`,
    revision: a.revision,
  };
}

/** `get_active_host_for_ha_router`: the first scheduled host in state active. */
export function activeHost(router: ModelRouter): string | null {
  return router.hosts.find((h) => router.states[h] === 'active') ?? null;
}
