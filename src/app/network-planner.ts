import { computeAgentTable } from '../core/desired.js';
import type { NetworkDigestChange } from '../core/digest-change.js';
import {
  commandsForPlan,
  type EngineNeed,
  type EngineOutcome,
  type EngineReads,
  type NetworkChange,
  type PortChange,
  planChange,
} from '../core/engine.js';
import { DEFAULT_FLAGS, resolveStrategy } from '../core/flags.js';
import { computeLocalPorts } from '../core/local-ports.js';
import { classifyPort } from '../core/owners.js';
import type { NetworkPlan } from '../core/plan.js';
import type { Agent, FlagSettings, Network, NetworkFacts, Port, Strategy } from '../core/types.js';
import type { VipView } from '../core/vip-view.js';
import { outboxKey } from './outbox.js';
import type { NetworkState, OutboxRecord } from './ports.js';

export { MAX_DELTA_BYTES, oversizedDeltaHosts } from '../core/engine.js';
export type { PortChange };

export function emptyNetworkState(network: Network): NetworkState {
  // a new network keeps its shared unicast entries from the start (src/core/vip-keys.ts)
  return {
    network,
    version: 0,
    index: { counts: {}, members: {} },
    strategies: {},
    routers: {},
    vipKeys: {},
  };
}

function haRoutersOf(ports: readonly Port[], routers: ReadonlyMap<string, unknown>): string[] {
  const ids = ports
    .filter((p) => classifyPort(p.deviceOwner, p.deviceId, routers) === 'ha')
    .map((p) => p.deviceId);
  return [...new Set(ids)].sort();
}

/** Strategy per HA router with a port in `ports`, resolved from the flags (a flag flip). */
export function resolveNetworkStrategies(
  ports: readonly Port[],
  routers: ReadonlyMap<string, unknown>,
  flags: FlagSettings,
  networkId: string,
): Record<string, Strategy> {
  return Object.fromEntries(
    haRoutersOf(ports, routers).map((id) => [id, resolveStrategy(flags, id, networkId).strategy]),
  );
}

/** HA routers of `ports` the network has no strategy for: they take one from the flags. */
export function routersWithoutStrategy(
  ports: readonly Port[],
  routers: ReadonlyMap<string, unknown>,
  recorded: Readonly<Record<string, Strategy>>,
): string[] {
  return haRoutersOf(ports, routers).filter((id) => !recorded[id]);
}

/** The recorded strategies plus one for each HA router new to the network: recorded ones never change here. */
export function extendStrategies(
  recorded: Readonly<Record<string, Strategy>>,
  ports: readonly Port[],
  routers: ReadonlyMap<string, unknown>,
  flags: FlagSettings | null,
  networkId: string,
): Record<string, Strategy> {
  const out: Record<string, Strategy> = { ...recorded };
  for (const id of routersWithoutStrategy(ports, routers, recorded))
    out[id] = flags ? resolveStrategy(flags, id, networkId).strategy : DEFAULT_FLAGS.defaultStrategy;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface PlannedNetwork {
  readonly state: NetworkState;
  readonly outbox: OutboxRecord | null;
  readonly plan: NetworkPlan;
  /** `<change kind>/<reason>` when the engine fell back to the full recompute. */
  readonly fallback?: string;
  /** What the commit adds to the drift-audit sums; absent: a plan made outside the engine (benches). */
  readonly digest?: NetworkDigestChange;
}

/** What the engine may ask the app to read for one network (`EngineNeed`). */
export interface NetworkReader {
  /** Every live port of the network after the change. */
  networkPorts(): Promise<readonly Port[]>;
  /** Every VIP of the network after the change (absent: the network has none). */
  networkVips?(): Promise<readonly VipView[]>;
  /** The agents of `hosts`; a host without one is absent from the map. */
  agents(hosts: readonly string[]): Promise<ReadonlyMap<string, Agent>>;
}

async function fulfil(reads: EngineReads, need: EngineNeed, reader: NetworkReader): Promise<EngineReads> {
  const hosts = (need.agents ?? []).filter((h) => !reads.agents?.has(h));
  if ((!need.networkPorts || reads.networkPorts) && hosts.length === 0)
    throw new Error(`the planner asked again for what it was given: ${JSON.stringify(need)}`);
  const full = need.networkPorts && !reads.networkPorts;
  const [ports, vips, found] = await Promise.all([
    full ? reader.networkPorts() : reads.networkPorts,
    full ? (reader.networkVips?.() ?? []) : reads.networkVips,
    hosts.length > 0 ? reader.agents(hosts) : new Map<string, Agent>(),
  ]);
  const agents = new Map<string, Agent | null>(reads.agents ?? []);
  for (const h of hosts) agents.set(h, found.get(h) ?? null);
  return { ...(ports ? { networkPorts: ports } : {}), ...(vips ? { networkVips: vips } : {}), agents };
}

function plannedOf(
  outcome: Omit<EngineOutcome<NetworkState>, 'digest'> & { readonly digest?: NetworkDigestChange },
  suffix: string,
): PlannedNetwork {
  const { state, plan, commands, bumped, fallback, digest } = outcome;
  const outbox: OutboxRecord | null =
    commands.length > 0
      ? {
          networkId: state.network.id,
          version: state.version,
          key: outboxKey(state.version, bumped ? '' : suffix),
          commands: [...commands],
        }
      : null;
  return { state, outbox, plan, ...(fallback ? { fallback } : {}), ...(digest ? { digest } : {}) };
}

/**
 * Plans one change of one network with the core's engine (`planChange`, `CHANGE_TABLE`): reads
 * what the engine asks for (the agents of joining hosts, every port for a snapshot, or the full
 * recompute's reads after a precondition failed) and plans again until it is done. `suffix` keeps
 * a resync's outbox key apart from the delta of the same version.
 */
export async function planNetwork(
  state: NetworkState,
  change: NetworkChange,
  reader: NetworkReader,
  suffix = '',
): Promise<PlannedNetwork> {
  let reads: EngineReads = {};
  for (;;) {
    const step = planChange(state, change, reads);
    if (step.kind === 'done') return plannedOf(step.outcome, suffix);
    reads = await fulfil(reads, step.need, reader);
  }
}

/** `planNetwork` with everything read up front (benches, tests); throws if the engine needs more. */
export function planNetworkWith(
  state: NetworkState,
  change: NetworkChange,
  reads: EngineReads,
): PlannedNetwork {
  const step = planChange(state, change, reads);
  if (step.kind === 'need') throw new Error(`the planner needs more reads: ${JSON.stringify(step.need)}`);
  return plannedOf(step.outcome, '');
}

/**
 * A plan computed outside the engine (the full recompute of the benches' reference path) turned
 * into the next state and its outbox record, like the engine does; `facts` are the network after.
 */
export function finishNetwork(
  state: NetworkState,
  plan: NetworkPlan,
  strategies: Readonly<Record<string, Strategy>>,
  facts: () => NetworkFacts,
): PlannedNetwork {
  let after: NetworkFacts | null = null;
  const next = { ...state, index: plan.index, strategies };
  const sending = commandsForPlan(
    next,
    plan,
    (host) => computeAgentTable((after ??= facts()), host),
    (host) => computeLocalPorts((after ??= facts()).ports, host),
  );
  return plannedOf(
    sending
      ? {
          state: { ...next, ...sending.record },
          plan,
          commands: sending.commands,
          bumped: true,
          fallback: null,
        }
      : { state: next, plan, commands: [], bumped: false, fallback: null },
    '',
  );
}
