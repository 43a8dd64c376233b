import fc from 'fast-check';
import { OWNER } from '../../src/core/owners.js';
import type {
  Agent,
  FlagSettings,
  HaRouter,
  Network,
  NetworkFacts,
  Port,
  Strategy,
} from '../../src/core/types.js';
import { checkVipClaim, recordVipClaim } from '../../src/core/vip.js';
import { unbindVip } from '../../src/core/vip-binding.js';
import {
  newVipRecord,
  releaseVipRecord,
  resolveVipStrategy,
  type VipRecord,
  viewsOfVips,
} from '../../src/core/vip-view.js';

export const NETWORK: Network = { id: 'net1', name: 'net1', networkType: 'vxlan', segmentId: 100 };
export const HOSTS = ['c1', 'c2', 'c3', 'c4', 'n1', 'n2'] as const;
const STRATS: Strategy[] = ['tunnel', 'master-binding', 'auto'];

export function agentFor(host: string, opts: Partial<Agent> = {}): Agent {
  return {
    host,
    tunnelIp: `198.51.100.${HOSTS.indexOf(host as (typeof HOSTS)[number]) + 10}`,
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: true, arp: 'responder' },
    bootId: 'b1',
    revision: 1,
    ...opts,
  };
}

/** A history step: one fact change of a network; each is applied with both planners. */
export type Step =
  /** Port `p<slot>`; `host` '' is unbound; slots 0-3 carry the VIPs as pairs unless `pairs` is false. */
  | {
      kind: 'port';
      slot: number;
      host: string;
      active: boolean;
      ips: number[];
      dvr: boolean;
      pairs?: boolean;
    }
  /**
   * The port owning VIP `VIPS[vip]` (if any) is deleted, unbound, moved to `host`, loses its pairs,
   * or its pair's virtual MAC changes (docs/vip.md, "A binding is tied to its port").
   */
  | {
      kind: 'owner-port';
      vip: number;
      how: 'delete' | 'unbind' | 'move' | 'drop-pair' | 'new-mac';
      host: string;
    }
  | { kind: 'delete'; slot: number }
  | { kind: 'ha-port'; active: boolean; ips: number[]; owner: 'ha' | 'snat' | 'gateway' }
  | { kind: 'schedule'; hosts: string[] }
  | { kind: 'ha-state'; host: string; state: 'active' | 'standby' | 'fault'; term: number }
  | { kind: 'flags'; flags: FlagSettings }
  /**
   * A host saw port `p<slot>` announce VIP `VIPS[vip]` (`both`: both VIPs, with one MAC, as one
   * VRRP instance does), stamped `back` ms before the step's time.
   */
  | { kind: 'claim'; slot: number; vip: number; virtualMac: boolean; back: number; both?: boolean }
  /** The VIPs move to the strategies the flags resolve to (what `flags.set` does after the routers). */
  | { kind: 'vip-resolve' }
  /** The operator releases a frozen VIP. */
  | { kind: 'vip-release'; vip: number }
  | {
      kind: 'agent';
      host: string;
      tunnelIp: number | null;
      learning: boolean;
      arp: 'off' | 'responder' | 'proxy';
      types: 'vxlan' | 'none';
      restart: boolean;
    };

const host = fc.constantFrom(...HOSTS);
const strategy = fc.constantFrom(...STRATS);
const flags: fc.Arbitrary<FlagSettings> = fc.record({
  defaultStrategy: strategy,
  rollout: fc.option(fc.record({ percent: fc.integer({ min: 0, max: 100 }), strategy })),
  networks: fc.dictionary(fc.constant('net1'), strategy, { maxKeys: 1 }),
  routers: fc.dictionary(fc.constant('r1'), strategy, { maxKeys: 1 }),
  ports: fc.option(fc.dictionary(fc.constantFrom('p0', 'p1'), strategy, { maxKeys: 2 }), { nil: undefined }),
});

/**
 * The VIPs of the histories: ports p0-p3 carry both as allowed-address pairs, each with the virtual
 * MAC, the second also through a prefix pair with the port's own MAC.
 */
export const VIPS = ['10.0.9.100', '10.0.9.200'] as const;
export const VIRTUAL_MAC = '00:00:5e:00:01:01';

/** VIP claims (some late, some with a MAC the pair does not allow), flag flips and releases. */
export const vipStepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      slot: fc.integer({ min: 0, max: 4 }),
      vip: fc.integer({ min: 0, max: 1 }),
      virtualMac: fc.boolean(),
      back: fc.constantFrom(0, 0, 0, 500, 2500),
      both: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('vip-release' as const), vip: fc.integer({ min: 0, max: 1 }) }),
  },
);

/** A VIP owner's port loses the right to the VIP: the binding must go with it. */
export const ownerPortArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('owner-port' as const),
  vip: fc.integer({ min: 0, max: 1 }),
  // a new MAC withdraws a binding only when the owner claimed with the old one, so it is drawn
  // three times as often as the others to be exercised on every run
  how: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom('delete' as const, 'unbind' as const, 'move' as const, 'drop-pair' as const),
    },
    { weight: 3, arbitrary: fc.constant('new-mac' as const) },
  ),
  host: fc.constantFrom(...HOSTS),
});

/** Capabilities an agent reports: Open vSwitch, kernel VXLAN with or without learning and ARP proxy. */
const capabilities = fc.constantFrom(
  { learning: true, arp: 'responder' as const },
  { learning: true, arp: 'off' as const },
  { learning: false, arp: 'off' as const },
  { learning: false, arp: 'proxy' as const },
  { learning: true, arp: 'proxy' as const },
);

/**
 * `auto` decides an agent's view of a router from the router's hosting nodes too
 * (`computeRouterView`), so histories switch to `auto`, schedule the router on the network nodes,
 * bring its interface up, fail over between the network nodes and flip a network node's
 * capabilities (ARP proxy on and off) far more often than uniform steps would.
 */
const allAuto: fc.Arbitrary<Step> = fc.constant({
  kind: 'flags',
  flags: { defaultStrategy: 'auto', rollout: null, networks: {}, routers: {} },
});
const onNetworkNodes: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('schedule' as const),
  hosts: fc.subarray(['n1', 'n2', 'c1'], { minLength: 1 }),
});
const activeInterface: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('ha-port' as const),
  active: fc.constant(true),
  ips: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
  owner: fc.constant('ha' as const),
});
const networkNodeTakesOver: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('ha-state' as const),
  host: fc.constantFrom('n1', 'n2'),
  state: fc.constant('active' as const),
  term: fc.integer({ min: 0, max: 2 }),
});
const networkNodeCapabilities: fc.Arbitrary<Step> = fc
  .record({ host: fc.constantFrom('n1', 'n2'), caps: capabilities })
  .map(({ host, caps }) => ({
    kind: 'agent',
    host,
    tunnelIp: 0,
    learning: caps.learning,
    arp: caps.arp,
    types: 'vxlan',
    restart: false,
  }));

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: allAuto },
  { weight: 1, arbitrary: onNetworkNodes },
  { weight: 1, arbitrary: activeInterface },
  { weight: 1, arbitrary: networkNodeTakesOver },
  { weight: 2, arbitrary: networkNodeCapabilities },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('port' as const),
      slot: fc.integer({ min: 0, max: 7 }),
      // now and then unbound (a VIP owner's port moved off its host)
      host: fc.oneof({ weight: 6, arbitrary: host }, { weight: 1, arbitrary: fc.constant('') }),
      active: fc.boolean(),
      ips: fc.uniqueArray(fc.integer({ min: 2, max: 9 }), { maxLength: 3 }),
      dvr: fc.constantFrom(false, false, false, true),
      // now and then without its pairs (a VIP owner's port lost them)
      pairs: fc.constantFrom(true, true, true, true, false),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), slot: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('ha-port' as const),
      active: fc.boolean(),
      ips: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      owner: fc.constantFrom('ha' as const, 'snat' as const, 'gateway' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('schedule' as const),
      hosts: fc.uniqueArray(host, { maxLength: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('ha-state' as const),
      host,
      state: fc.constantFrom('active' as const, 'standby' as const, 'fault' as const),
      term: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flags' as const), flags }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('agent' as const),
      host,
      tunnelIp: fc.option(fc.integer({ min: 0, max: 1 })),
      learning: fc.boolean(),
      arp: fc.constantFrom('off' as const, 'responder' as const, 'proxy' as const),
      types: fc.constantFrom('vxlan' as const, 'vxlan' as const, 'none' as const),
      restart: fc.boolean(),
    }),
  },
);

/** The whole fact set a history has built, kept as plain maps. */
export interface World {
  ports: Map<string, Port>;
  routers: Map<string, HaRouter>;
  agents: Map<string, Agent>;
  flags: FlagSettings;
  seq: number;
  /** VIP address -> its record, as the controller would hold it. */
  vips: Map<string, VipRecord>;
}

export function emptyWorld(): World {
  return {
    ports: new Map(),
    routers: new Map(),
    agents: new Map(HOSTS.map((h) => [h, agentFor(h)])),
    flags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: {} },
    seq: 0,
    vips: new Map(),
  };
}

export function factsOf(w: World): NetworkFacts {
  return {
    network: NETWORK,
    agents: w.agents,
    ports: [...w.ports.values()],
    routers: w.routers,
    flags: w.flags,
    vips: viewsOfVips([...w.vips.values()]),
  };
}

export function macOf(slot: number): string {
  return `fa:16:3e:00:00:${(slot + 16).toString(16)}`;
}

export function haPort(step: Extract<Step, { kind: 'ha-port' }>, revision: number): Port {
  const owner =
    step.owner === 'ha'
      ? OWNER.haInterface
      : step.owner === 'snat'
        ? OWNER.centralizedSnat
        : OWNER.routerGateway;
  return {
    id: `r1-${step.owner}`,
    networkId: 'net1',
    mac: `fa:16:3e:aa:00:0${['ha', 'snat', 'gateway'].indexOf(step.owner)}`,
    ips: step.ips.map((i) => `10.0.0.${i}`),
    deviceOwner: owner,
    deviceId: 'r1',
    host: '',
    status: step.active ? 'ACTIVE' : 'DOWN',
    dvrHosts: [],
    revision,
  };
}

export function clone(w: World): World {
  return {
    ports: new Map(w.ports),
    routers: new Map(w.routers),
    agents: new Map(w.agents),
    flags: w.flags,
    seq: w.seq,
    vips: new Map(w.vips),
  };
}

/**
 * What a port's new fact does to the VIPs (docs/vip.md, "A binding is tied to its port"), applied
 * here to every VIP record, not only to those the port events read or check.
 */
function unbindAll(w: World, portId: string): void {
  for (const [ip, r] of w.vips) {
    const next = unbindVip(r, portId, w.ports.get(portId));
    if (next) w.vips.set(ip, next);
  }
}

/** A claim of `VIPS[vip]` by the step's port, recorded when accepted and not stale. */
function claimVip(w: World, step: Extract<Step, { kind: 'claim' }>, vip: number, rev: number): void {
  const port = w.ports.get(`p${step.slot}`);
  const ip = VIPS[vip] as string;
  const claim = {
    networkId: NETWORK.id,
    ip,
    host: port?.host ?? 'c1',
    portId: `p${step.slot}`,
    mac: step.virtualMac ? VIRTUAL_MAC : macOf(step.slot),
    kind: 'garp' as const,
    at: rev * 1000 - step.back,
    seq: rev,
  };
  if (checkVipClaim(port, claim, Number.MAX_SAFE_INTEGER)) return;
  const before = w.vips.get(ip);
  const outcome = recordVipClaim(before?.state, claim);
  if (outcome.kind === 'stale') return;
  const strategy = resolveVipStrategy(w.flags, NETWORK.id, ip, outcome.state.owner.portId).strategy;
  w.vips.set(
    ip,
    before
      ? {
          ...before,
          state: outcome.state,
          strategy,
          holders: { ...before.holders, [claim.portId]: claim.host },
          version: before.version + 1,
        }
      : newVipRecord(claim, outcome.state, strategy),
  );
}

/** Applies a fact step; returns the ports it wrote (null: not a port step) and the host whose agent restarted. */
export function applyStep(w: World, step: Step): { written: string[] | null; restarted: string | null } {
  const rev = ++w.seq;
  switch (step.kind) {
    case 'port': {
      const port: Port = {
        id: `p${step.slot}`,
        networkId: NETWORK.id,
        mac: macOf(step.slot),
        ips: step.ips.map((i) => `10.0.1.${i}`),
        deviceOwner: step.dvr ? OWNER.dvrInterface : 'compute:nova',
        deviceId: `vm${step.slot}`,
        host: step.host,
        status: step.active ? 'ACTIVE' : 'DOWN',
        dvrHosts: step.dvr && step.host ? [step.host] : [],
        revision: rev,
        ...(step.slot < 4 && step.pairs !== false
          ? {
              allowedAddressPairs: [
                { ipAddress: VIPS[0], macAddress: VIRTUAL_MAC },
                // both VIPs may be announced with one virtual MAC (one VRRP instance): a shared entry
                { ipAddress: VIPS[1], macAddress: VIRTUAL_MAC },
                { ipAddress: '10.0.9.192/27', macAddress: macOf(step.slot) },
              ],
            }
          : {}),
      };
      w.ports.set(port.id, port);
      unbindAll(w, port.id);
      return { written: [port.id], restarted: null };
    }
    case 'delete':
      w.ports.delete(`p${step.slot}`);
      unbindAll(w, `p${step.slot}`);
      return { written: [`p${step.slot}`], restarted: null };
    case 'owner-port': {
      const id = w.vips.get(VIPS[step.vip] as string)?.state.owner?.portId;
      const port = id === undefined ? undefined : w.ports.get(id);
      if (!port) return { written: null, restarted: null };
      if (step.how === 'delete') w.ports.delete(port.id);
      else {
        const pairs = port.allowedAddressPairs ?? [];
        const changed: Port =
          step.how === 'unbind'
            ? { ...port, host: '', dvrHosts: [] }
            : step.how === 'move'
              ? { ...port, host: step.host, dvrHosts: port.dvrHosts.length > 0 ? [step.host] : [] }
              : step.how === 'drop-pair'
                ? { ...port, allowedAddressPairs: [] }
                : {
                    ...port,
                    allowedAddressPairs: pairs.map((p) =>
                      p.macAddress === VIRTUAL_MAC ? { ...p, macAddress: '00:00:5e:00:01:02' } : p,
                    ),
                  };
        w.ports.set(port.id, { ...changed, revision: rev });
      }
      unbindAll(w, port.id);
      return { written: [port.id], restarted: null };
    }
    case 'ha-port': {
      const p = haPort(step, rev);
      w.ports.set(p.id, p);
      return { written: [p.id], restarted: null };
    }
    case 'schedule': {
      const r = w.routers.get('r1') ?? { id: 'r1', hosts: [], states: {}, revision: 0, version: 0 };
      w.routers.set('r1', { ...r, hosts: [...step.hosts].sort(), revision: rev, version: r.version + 1 });
      return { written: null, restarted: null };
    }
    case 'ha-state': {
      const r = w.routers.get('r1') ?? { id: 'r1', hosts: [], states: {}, revision: 0, version: 0 };
      w.routers.set('r1', {
        ...r,
        states: { ...r.states, [step.host]: { state: step.state, order: { term: step.term, seq: rev } } },
        version: r.version + 1,
      });
      return { written: null, restarted: null };
    }
    case 'flags':
      w.flags = step.flags;
      return { written: null, restarted: null };
    case 'claim': {
      // `both`: the port announces both VIPs at once (one VRRP instance failing over), with one MAC
      for (const vip of step.both ? [0, 1] : [step.vip]) claimVip(w, step, vip, rev);
      return { written: null, restarted: null };
    }
    case 'vip-resolve':
      for (const [ip, r] of w.vips) {
        if (!r.state.owner) continue;
        const strategy = resolveVipStrategy(w.flags, NETWORK.id, ip, r.state.owner.portId).strategy;
        if (strategy !== r.strategy) w.vips.set(ip, { ...r, strategy, version: r.version + 1 });
      }
      return { written: null, restarted: null };
    case 'vip-release': {
      const r = w.vips.get(VIPS[step.vip] as string);
      const released = r ? releaseVipRecord(r, w.flags) : null;
      if (released) w.vips.set(released.ip, released);
      return { written: null, restarted: null };
    }
    case 'agent': {
      const idx = HOSTS.indexOf(step.host as (typeof HOSTS)[number]);
      const old = w.agents.get(step.host) ?? agentFor(step.host);
      w.agents.set(step.host, {
        ...old,
        tunnelIp:
          step.tunnelIp === null
            ? null
            : step.tunnelIp === 0
              ? agentFor(step.host).tunnelIp
              : `203.0.113.${idx + 10}`,
        networkTypes: step.types === 'none' ? ['gre'] : ['vxlan'],
        capabilities: { learning: step.learning, arp: step.arp },
        bootId: step.restart ? `b${rev}` : old.bootId,
        revision: rev,
      });
      return { written: null, restarted: step.restart ? step.host : null };
    }
  }
}
