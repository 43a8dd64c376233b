import type { TraceAgent, TraceStep } from '../../tools/replay/trace.js';
import {
  type EventVector,
  eventsOf,
  type Fixtures,
  type VectorAgent,
  type VectorEvent,
  type VectorPort,
} from './vectors.js';

/**
 * Turns a conformance vector into a trace in the oracle's scenario format (plus the replay's
 * `dvr_hosts` extension), so that it runs through `replayTrace`: the controller's own use-cases,
 * store and simulated agents. The setup becomes steps that build it (a port listed ACTIVE is
 * created bound and reported up by its host); each event becomes the steps Neutron's API or agent
 * RPC would take.
 */

const OWNERS: Record<string, string> = {
  compute: 'compute:nova',
  ha_int: 'network:ha_router_replicated_interface',
  dvr_int: 'network:router_interface_distributed',
  snat: 'network:router_centralized_snat',
};

/** A setup port that is ACTIVE but names no binding host is bound here (a host with no agent). */
export const AGENTLESS_HOST = 'h0';

/**
 * The observer: an extra agent with a port in every network of the vector, present throughout.
 * It receives every fanout, so a vector whose only agent is the event's host still shows what
 * Neutron told the rest of the network, and the payloads we send for it can be compared. Its
 * presence changes none of the fanouts Neutron sends for an event on another host (they depend on
 * that host's ports only), so the vector's expected fanouts apply to it unchanged; casts do not
 * reach it. In the observer run, only the observer's table is compared.
 */
export const OBSERVER = { host: 'observer', tunnelIp: '192.0.2.254' } as const;

export interface TraceNetworkSpec {
  name: string;
  id: string;
  network_type: string;
  segmentation_id: number;
  physical_network?: string;
}

export interface VectorTrace {
  readonly agents: TraceAgent[];
  readonly networks: TraceNetworkSpec[];
  /** Steps that build the setup. */
  readonly setup: TraceStep[];
  /** The steps of each event, in order. */
  readonly events: TraceStep[][];
}

export interface VectorTraceOptions {
  readonly observer: boolean;
  /** Vectors by id, for `"same_as"` setups. */
  readonly vectors: ReadonlyMap<string, EventVector>;
}

/** The trace that runs the setup and the first `events` events. */
export function traceUpTo(t: VectorTrace, events: number): unknown {
  return {
    agents: t.agents,
    networks: t.networks,
    steps: [...t.setup, ...t.events.slice(0, events).flat()],
  };
}

function agentSpec(a: VectorAgent, l3: readonly string[]): TraceAgent {
  return {
    host: a.host,
    tunnel_ip: a.tunnel_ip,
    agent_type: a.type === 'ovs' ? 'Open vSwitch agent' : a.type,
    tunnel_types: [...a.tunnel_types],
    l2pop_network_types: a.l2pop_network_types ? [...a.l2pop_network_types] : null,
    l3_agent: l3.includes(a.host),
  };
}

function portSteps(p: VectorPort, index: number): TraceStep[] {
  const bound = p.host ?? '';
  const host = bound === '' && p.status === 'ACTIVE' && !p.distributed_bindings ? AGENTLESS_HOST : bound;
  const steps: TraceStep[] = [
    {
      op: 'create_port',
      port: p.id,
      network: p.net ?? 'net1',
      ...(host === '' ? {} : { host }),
      mac: p.mac ?? `fa:16:3e:c0:00:${index.toString(16).padStart(2, '0')}`,
      ips: p.ips ?? [],
      device_owner: OWNERS[p.owner ?? ''] ?? p.owner ?? '',
      device_id: p.device_id ?? '',
      ...(p.distributed_bindings ? { dvr_hosts: p.distributed_bindings } : {}),
    },
  ];
  if (p.status === 'ACTIVE' && !p.distributed_bindings) {
    for (const reporter of p.reported_up_by ?? [host])
      steps.push({ op: 'port_up', port: p.id, host: reporter });
  }
  return steps;
}

/** The steps Neutron takes for one vector event. */
export function eventSteps(e: VectorEvent, expectError = false): TraceStep[] {
  const flag = expectError ? { expect_error: true } : {};
  switch (e.type) {
    case 'device_up':
      return [
        { op: 'port_up', port: e.port, host: e.host, refresh_tunnels: e.refresh_tunnels ?? false, ...flag },
      ];
    case 'device_down':
      return [{ op: 'port_down', port: e.port, host: e.host, ...flag }];
    case 'set_status':
      return [{ op: e.status === 'ACTIVE' ? 'port_up' : 'port_down', port: e.port, ...flag }];
    case 'update_port': {
      const body: Record<string, unknown> = {};
      if (e.set.binding_host !== undefined) body['binding:host_id'] = e.set.binding_host;
      if (e.set.mac !== undefined) body.mac_address = e.set.mac;
      if (e.set.ips !== undefined) body.fixed_ips = e.set.ips.map((ip) => ({ ip_address: ip }));
      if (e.set.status !== undefined) body.status = e.set.status;
      return [{ op: 'update_port', port: e.port, body, ...flag }];
    }
    case 'delete_port':
      return [{ op: 'delete_port', port: e.port, ...flag }];
    case 'router_interface_remove':
      return [{ op: 'router_interface_remove', router: e.router, port: e.port, ...flag }];
    case 'ha_state_report':
      return Object.entries(e.states).map(([router, state]) => ({
        op: 'ha_state',
        router,
        host: e.host,
        state,
        ...flag,
      }));
    case 'router_sync':
      return [{ op: 'l3_sync', host: e.host, ...flag }];
  }
}

function setupOf(v: EventVector, opts: VectorTraceOptions): { vector: EventVector; events: VectorEvent[] } {
  if (!v.setup.same_as) return { vector: v, events: [] };
  // "S27 after its event": that vector's setup, then its events
  const id = v.setup.same_as.slice(0, 3);
  const base = opts.vectors.get(id);
  if (!base) throw new Error(`${v.id}: same_as names unknown vector ${id}`);
  return { vector: base, events: eventsOf(base).map((s) => s.event) };
}

export function vectorTrace(v: EventVector, fixtures: Fixtures, opts: VectorTraceOptions): VectorTrace {
  const { vector: base, events: prelude } = setupOf(v, opts);
  const s = base.setup;
  const l3 = s.l3_agents ?? [];
  const agents = (s.agents === '@STD' ? fixtures.STD : (s.agents ?? [])).map((a) => agentSpec(a, l3));
  const names = new Set<string>();
  for (const n of s.networks ?? []) names.add(typeof n === 'string' ? n : n.id);
  for (const p of s.ports ?? []) names.add(p.net ?? 'net1');
  if (names.size === 0) names.add('net1');
  const networks: TraceNetworkSpec[] = [...names].map((name, k) => {
    const std = fixtures.NETS.find((n) => n.id === name);
    return {
      name,
      id: name,
      network_type: std?.network_type ?? 'vxlan',
      segmentation_id: std?.segment_id ?? 100 + k,
      ...(std?.physical_network ? { physical_network: std.physical_network } : {}),
    };
  });
  const setup: TraceStep[] = [];
  if (opts.observer) {
    agents.push({
      host: OBSERVER.host,
      tunnel_ip: OBSERVER.tunnelIp,
      agent_type: 'Open vSwitch agent',
      tunnel_types: ['vxlan', 'gre', 'geneve'],
      l2pop_network_types: ['vxlan', 'gre', 'geneve', 'vlan', 'flat'],
      l3_agent: false,
    });
    networks.forEach((n, k) => {
      const port = `observer-${n.name}`;
      const mac = `fa:16:3e:0b:5e:${k.toString(16).padStart(2, '0')}`;
      setup.push(
        { op: 'create_port', port, network: n.name, host: OBSERVER.host, mac, ips: [`198.51.100.${k + 1}`] },
        { op: 'port_up', port, host: OBSERVER.host },
      );
    });
  }
  for (const r of [...(s.ha_routers ?? []), ...(s.routers ?? [])]) {
    if (!r.scheduled) continue;
    setup.push({ op: 'ha_router_create', router: r.id, hosts: Object.keys(r.scheduled) });
    for (const [host, state] of Object.entries(r.scheduled))
      setup.push({ op: 'ha_state', router: r.id, host, state });
  }
  (s.ports ?? []).forEach((p, i) => {
    setup.push(...portSteps(p, i));
  });
  for (const e of prelude) setup.push(...eventSteps(e));
  const events = eventsOf(v).map((s) => eventSteps(s.event, v.expected_error !== undefined));
  return { agents, networks, setup, events };
}
