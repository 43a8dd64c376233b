import type { AgentConfig } from '../../agent/create-agent.js';
import type { HaStateEvent } from '../../src/contracts/events.js';

export const NET = 'net-a';
export const VNI = 100;
export const LOCAL = '198.51.100.11';
export const NODE1 = '198.51.100.21';
export const NODE2 = '198.51.100.22';
export const FLOOD = ['00:00:00:00:00:00', '0.0.0.0'] as const;
export const ROUTER = ['fa:16:3e:00:00:01', '192.0.2.1'] as const;

export function agentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    host: 'compute1',
    tunnelIp: LOCAL,
    learning: false,
    proxy: true,
    dstport: 4789,
    mtu: 1450,
    bridgePrefix: null,
    agentType: 'reference-vxlan-agent',
    bootId: 'boot-1',
    resyncIntervalMs: 1000,
    ...overrides,
  };
}

type Ports = Record<string, (readonly string[])[]>;

function fdb(ports: Ports, networkId = NET, vni = VNI) {
  return { [networkId]: { segment_id: vni, network_type: 'vxlan', ports } };
}

export function snapshot(version: number, ports: Ports, part = { index: 0, count: 1 }): string {
  return JSON.stringify({
    v: 1,
    kind: 'snapshot',
    networkId: NET,
    version,
    segment: { networkType: 'vxlan', segmentId: VNI },
    part,
    fdb_entries: fdb(ports),
  });
}

export interface DeltaParts {
  readonly remove?: Ports;
  readonly chg?: Record<string, { before?: (readonly string[])[]; after?: (readonly string[])[] }>;
  readonly add?: Ports;
}

export function deltaCommand(version: number, base: number, parts: DeltaParts) {
  const payloads: unknown[] = [];
  if (parts.remove) payloads.push({ method: 'remove_fdb_entries', fdb_entries: fdb(parts.remove) });
  if (parts.chg)
    payloads.push({ method: 'update_fdb_entries', fdb_entries: { chg_ip: { [NET]: parts.chg } } });
  if (parts.add) payloads.push({ method: 'add_fdb_entries', fdb_entries: fdb(parts.add) });
  return {
    v: 1,
    kind: 'delta',
    networkId: NET,
    version,
    base,
    segment: { networkType: 'vxlan', segmentId: VNI },
    payloads,
  };
}

export function delta(version: number, base: number, parts: DeltaParts): string {
  return JSON.stringify(deltaCommand(version, base, parts));
}

export function leave(version: number): string {
  return JSON.stringify({ v: 1, kind: 'leave', networkId: NET, version });
}

/** `ip -j -d link show` output of a device this agent would have created. */
export function linkJson(
  dev: string,
  vni: number,
  opts: { learning?: boolean; proxy?: boolean } = {},
): string {
  return JSON.stringify([
    {
      ifname: dev,
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      linkinfo: {
        info_kind: 'vxlan',
        info_data: {
          id: vni,
          local: LOCAL,
          port: 4789,
          learning: opts.learning ?? false,
          proxy: opts.proxy ?? true,
        },
      },
    },
  ]);
}

/** An `ha.state` event as the notify sender builds it: net2's router-1 instance became master. */
export function haState(overrides: Partial<HaStateEvent> = {}): HaStateEvent {
  const base = {
    type: 'ha.state',
    v: 1,
    routerId: 'router-1',
    host: 'net2',
    state: 'active',
    term: 0,
    seq: 7,
  };
  return { ...base, ...overrides } as HaStateEvent;
}
