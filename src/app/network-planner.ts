import { planCommands } from '../core/commands.js';
import {
  type ContributionContext,
  computePortContribution,
  EMPTY_CONTRIBUTION,
} from '../core/contribution.js';
import { computeAgentTable, computeContributions, computeIndex } from '../core/desired.js';
import { DEFAULT_FLAGS, resolveStrategy } from '../core/flags.js';
import { computeMember, type Member } from '../core/membership.js';
import { classifyPort } from '../core/owners.js';
import { type NetworkPlan, planMemberChanges, planSourceChanges } from '../core/plan.js';
import type { Agent, FlagSettings, HaRouter, Network, NetworkFacts, Port, Strategy } from '../core/types.js';
import { outboxKey } from './outbox.js';
import type { NetworkState, OutboxRecord } from './ports.js';
import { viewsOf } from './router-views.js';

export function emptyNetworkState(network: Network): NetworkState {
  return { network, version: 0, index: { counts: {}, members: {} }, sent: {}, strategies: {}, routers: {} };
}

/** Flag settings that reproduce exactly the per-router strategies a network recorded. */
export function flagsFromStrategies(strategies: Readonly<Record<string, Strategy>>): FlagSettings {
  return { ...DEFAULT_FLAGS, routers: strategies };
}

/** A stand-in agent that reproduces a recorded member, so "before" views need no agent reads. */
export function agentFromMember(host: string, member: Member, network: Network): Agent {
  const tunnelView = member.haView === 'tunnel';
  return {
    host,
    tunnelIp: member.tunnelIp,
    agentType: 'recorded',
    networkTypes: [network.networkType],
    capabilities: { learning: tunnelView, arp: member.arpProxy ? 'proxy' : 'off' },
    bootId: 'recorded',
    revision: 0,
  };
}

export function agentsFromIndex(state: NetworkState): Map<string, Agent> {
  const out = new Map<string, Agent>();
  for (const [host, m] of Object.entries(state.index.members))
    out.set(host, agentFromMember(host, m, state.network));
  return out;
}

function haRoutersOf(ports: readonly Port[], routers: ReadonlyMap<string, HaRouter>): string[] {
  const ids = ports
    .filter((p) => classifyPort(p.deviceOwner, p.deviceId, routers) === 'ha')
    .map((p) => p.deviceId);
  return [...new Set(ids)].sort();
}

/** Strategy per HA router with a port in `ports`, resolved from the flags (a flag flip). */
export function resolveNetworkStrategies(
  ports: readonly Port[],
  routers: ReadonlyMap<string, HaRouter>,
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
  routers: ReadonlyMap<string, HaRouter>,
  recorded: Readonly<Record<string, Strategy>>,
): string[] {
  return haRoutersOf(ports, routers).filter((id) => !recorded[id]);
}

/** The recorded strategies plus one for each HA router new to the network: recorded ones never change here. */
export function extendStrategies(
  recorded: Readonly<Record<string, Strategy>>,
  ports: readonly Port[],
  routers: ReadonlyMap<string, HaRouter>,
  flags: FlagSettings | null,
  networkId: string,
): Record<string, Strategy> {
  const out: Record<string, Strategy> = { ...recorded };
  for (const id of routersWithoutStrategy(ports, routers, recorded))
    out[id] = flags ? resolveStrategy(flags, id, networkId).strategy : DEFAULT_FLAGS.defaultStrategy;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface PortChange {
  readonly before: Port | undefined;
  readonly after: Port | undefined;
}

export interface PlannedNetwork {
  readonly state: NetworkState;
  readonly outbox: OutboxRecord | null;
  readonly plan: NetworkPlan;
}

/** Turns a plan into the next network state and, when some agent must hear about it, an outbox record. */
/**
 * The largest delta sent as one message: agent queues take 1 MiB messages; 16 KB is left for the
 * command envelope. A larger delta is replaced by a snapshot of the same version, which is split
 * into parts, so the protocol is unchanged (docs/data-model.md, "limits").
 */
export const MAX_DELTA_BYTES = 1024 * 1024 - 16 * 1024;

/** Below this many entries a delta cannot reach MAX_DELTA_BYTES, so it is not serialised to check. */
const SMALL_DELTA_ENTRIES = 5000;

/** Hosts whose delta would not fit one message. */
export function oversizedDeltaHosts(plan: NetworkPlan): string[] {
  const out: string[] = [];
  for (const [host, { delta }] of plan.deltas) {
    let n = 0;
    for (const entries of [...Object.values(delta.add), ...Object.values(delta.remove)]) n += entries.length;
    if (n > SMALL_DELTA_ENTRIES && JSON.stringify(delta).length > MAX_DELTA_BYTES) out.push(host);
  }
  return out.sort();
}

function withOversizedDeltasAsSnapshots(plan: NetworkPlan): NetworkPlan {
  const big = oversizedDeltaHosts(plan);
  if (big.length === 0) return plan;
  const deltas = new Map([...plan.deltas].filter(([h]) => !big.includes(h)));
  return { ...plan, deltas, snapshots: [...plan.snapshots, ...big].sort() };
}

export function finishNetwork(
  state: NetworkState,
  plan: NetworkPlan,
  strategies: Readonly<Record<string, Strategy>>,
  snapshotFacts: () => NetworkFacts,
): PlannedNetwork {
  const anyCommand =
    plan.snapshots.length > 0 ||
    plan.left.length > 0 ||
    [...plan.deltas.values()].some(
      (d) => Object.keys(d.delta.add).length + Object.keys(d.delta.remove).length > 0,
    );
  if (!anyCommand) return { state: { ...state, index: plan.index, strategies }, outbox: null, plan };
  const version = state.version + 1;
  const sendable = withOversizedDeltasAsSnapshots(plan);
  // One table per snapshot, not every view: O(ports) per joining agent instead of O(hosts x ports).
  let facts: NetworkFacts | null = null;
  const snapshotOf = (host: string) => computeAgentTable((facts ??= snapshotFacts()), host);
  const { commands, sent } = planCommands(state.network, version, sendable, state.sent, snapshotOf);
  return {
    state: { ...state, version, index: plan.index, sent, strategies },
    outbox: { networkId: state.network.id, version, key: outboxKey(version), commands: [...commands] },
    plan,
  };
}

export interface IncrementalInput {
  readonly state: NetworkState;
  readonly changes: readonly PortChange[];
  /** Every router the network records, as recorded (`recordedRouters`): the index reflects these. */
  readonly routersBefore: ReadonlyMap<string, HaRouter>;
  /** The same after the change; becomes the network's recorded `routers`. */
  readonly routersAfter: ReadonlyMap<string, HaRouter>;
  readonly strategiesAfter: Readonly<Record<string, Strategy>>;
  /** Agents of hosts that may join (their presence count may cross zero). */
  readonly agents: ReadonlyMap<string, Agent>;
}

/** The O(hosts) plan for port, HA and flag changes; no port outside `changes` is read. */
export function computeIncrementalPlan(input: IncrementalInput): NetworkPlan {
  const { state } = input;
  const ctxBefore: ContributionContext = {
    routers: input.routersBefore,
    flags: flagsFromStrategies(state.strategies),
  };
  const ctxAfter: ContributionContext = {
    routers: input.routersAfter,
    flags: flagsFromStrategies(input.strategiesAfter),
  };
  const changes = input.changes.map((c) => ({
    before: c.before ? computePortContribution(c.before, ctxBefore) : EMPTY_CONTRIBUTION,
    after: c.after ? computePortContribution(c.after, ctxAfter) : EMPTY_CONTRIBUTION,
  }));
  return planSourceChanges(state.index, changes, (host) =>
    computeMember(input.agents.get(host), state.network),
  );
}

/**
 * Finishes an incremental plan. `portsAfter` (the whole network after the change) is needed only
 * when some agent joined, i.e. for its snapshot; pass null otherwise. Snapshots are built with the
 * routers as the network records them after the change, like every other agent's table.
 */
export function finishIncremental(
  input: IncrementalInput,
  plan: NetworkPlan,
  portsAfter: readonly Port[] | null,
): PlannedNetwork {
  const state = { ...input.state, routers: viewsOf(input.routersAfter) };
  return finishNetwork(state, plan, input.strategiesAfter, () => ({
    network: state.network,
    agents: agentsFromIndex({ ...state, index: plan.index }),
    ports: portsAfter ?? [],
    routers: input.routersAfter,
    flags: flagsFromStrategies(input.strategiesAfter),
  }));
}

/** Plans one network, reading its ports only if an agent needs a snapshot. */
export async function planIncremental(
  input: IncrementalInput,
  loadPortsAfter: () => Promise<readonly Port[]>,
): Promise<PlannedNetwork> {
  const plan = computeIncrementalPlan(input);
  const needsPorts = plan.snapshots.length > 0 || oversizedDeltaHosts(plan).length > 0;
  return finishIncremental(input, plan, needsPorts ? await loadPortsAfter() : null);
}

export interface AgentChangeInput {
  readonly state: NetworkState;
  readonly ports: readonly Port[];
  /** The routers as the network records them (`recordedRouters`): agent changes do not move them. */
  readonly routers: ReadonlyMap<string, HaRouter>;
  /** Current agents of every host with a presence count in the network. */
  readonly agents: ReadonlyMap<string, Agent>;
  readonly restarted: ReadonlySet<string>;
}

/**
 * The agent-change path: before from the recorded members, after from the agents, over every port
 * of the network. O(ports) to derive the contributions and the two indexes, then `planMemberChanges`
 * moves only what the changed members touch, so no view of the network is materialised
 * (a snapshot, for a host that joins or restarted, is built for that host alone).
 */
export function planAgentChange(input: AgentChangeInput): PlannedNetwork {
  const { state } = input;
  const facts = (agents: ReadonlyMap<string, Agent>): NetworkFacts => ({
    network: state.network,
    agents,
    ports: input.ports,
    routers: input.routers,
    flags: flagsFromStrategies(state.strategies),
  });
  const after = facts(input.agents);
  // a contribution depends on the port, its router and the flags, not on the agents
  const contributions = computeContributions(after);
  const plan = planMemberChanges(
    computeIndex(facts(agentsFromIndex(state)), contributions),
    computeIndex(after, contributions),
    contributions,
    input.restarted,
  );
  return finishNetwork(state, plan, state.strategies, () => after);
}
