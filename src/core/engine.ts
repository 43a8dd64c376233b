import { type AddressedCommand, planCommands, planSnapshot, SNAPSHOT_ENTRIES_PER_PART } from './commands.js';
import {
  type ContributionContext,
  computePortContribution,
  EMPTY_CONTRIBUTION,
  type PortContribution,
} from './contribution.js';
import { EMPTY_DELTA } from './delta.js';
import { computeTable, countPresence, type NetworkIndex } from './desired.js';
import type { NetworkDigestChange } from './digest-change.js';
import { planDigestChange } from './engine-digest.js';
import {
  computeLocalPorts,
  isEmptyLocalDelta,
  type LocalPort,
  localPortWeight,
  planLocalPortChanges,
} from './local-ports.js';
import { computeMember, type Member } from './membership.js';
import {
  type AgentDelta,
  checkCounts,
  type NetworkPlan,
  PlannerPreconditionError,
  planMemberChanges,
  planSendsCommands,
  planSourceChanges,
  sortedRecord,
  withLocalPortChanges,
} from './plan.js';
import type { Agent, AgentTable, Network, Port, RouterView, Strategy } from './types.js';
import type { VipKeyTable } from './vip-keys.js';
import { computeVipContribution, type VipView } from './vip-view.js';

/**
 * What a network records about itself: the only "before" the planners read. The index, the
 * router views and the strategies are those its agents' tables reflect; no fact is rebuilt from
 * them (docs/architecture.md, "The engine").
 */
export interface RecordedNetwork {
  readonly network: Network;
  /** Grows by one per committed batch that changed some agent's table. */
  readonly version: number;
  /**
   * Presence counts and members: the O(hosts) summary. Every member is sent every version, so the
   * next delta's `base` is always `version - 1` and no per-host "last version sent" is recorded.
   */
  readonly index: NetworkIndex;
  /** HA router -> the strategy this network's tables currently reflect. */
  readonly strategies: Readonly<Record<string, Strategy>>;
  /**
   * HA router -> the router as this network's tables reflect it (its hosts and master). An HA
   * change records the router fact first and then moves each network from this view to the
   * current fact in a transaction of its own (docs/crash-safety.md, "HA changes").
   */
  readonly routers: Readonly<Record<string, RouterView>>;
  /**
   * The network's shared unicast entries (src/core/vip-keys.ts), kept for the drift-audit sums;
   * absent in a record written before it existed, until the full recompute builds it.
   */
  readonly vipKeys?: VipKeyTable;
}

export interface PortChange {
  readonly before: Port | undefined;
  readonly after: Port | undefined;
}

/**
 * Port, router and strategy changes: the contributions of some ports move. `ports` are the ports
 * whose contribution may move, as the network's tables reflect them (`before`) and now (`after`);
 * a router or strategy change lists the ports of the router with `before === after`.
 */
export interface SourceChangeInput {
  readonly kind: 'ports' | 'routers' | 'strategies';
  readonly ports: readonly PortChange[];
  /** Routers whose view moves to the one given (null: the router fact is gone). */
  readonly routers?: Readonly<Record<string, RouterView | null>>;
  /** Every strategy the network records after the change; absent: unchanged. */
  readonly strategies?: Readonly<Record<string, Strategy>>;
  /**
   * VIPs whose view moves with the ports: a port event that takes a VIP from its owner's port
   * (docs/vip.md, "A binding is tied to its port") moves it in the same plan.
   */
  readonly vips?: readonly VipViewChange[];
}

/** A VIP's view as the network's tables reflect it (its stored record) and after (null: none). */
export interface VipViewChange {
  readonly before: VipView | null;
  readonly after: VipView | null;
  /**
   * The owner port after, as the claim or release read it: who holds the VIP's unicast entry when
   * no other VIP is at its (MAC, host) yet. Without it such a change runs the full recompute.
   */
  readonly ownerPort?: Port | undefined;
}

/** Agent changes: the current fact of each host whose agent changed (null: no agent). */
export interface MemberChangeInput {
  readonly kind: 'members';
  readonly agents: ReadonlyMap<string, Agent | null>;
  /** Hosts whose agent lost its tables: they get a snapshot. */
  readonly restarted: ReadonlySet<string>;
}

/** One host's table at the current version (a resync, or a restart that changed no member). */
export interface SnapshotInput {
  readonly kind: 'snapshot';
  readonly host: string;
  /**
   * A drift repair (docs/drift-audit.md): the agent believes it holds the current version, so a
   * snapshot of it would be stale to the agent; it takes the next version instead (no other agent
   * is sent anything: their next delta's base is still the version they were last sent).
   */
  readonly bump?: boolean;
}

/**
 * VIP changes (an accepted claim, an operator release): each VIP's view as the network's tables
 * reflect it (its stored record before) and after (null: none). Docs/vip.md, "Recording".
 */
export interface VipChangeInput {
  readonly kind: 'vips';
  readonly vips: readonly VipViewChange[];
}

export type NetworkChange = SourceChangeInput | MemberChangeInput | SnapshotInput | VipChangeInput;
export type ChangeKind = NetworkChange['kind'];

/** What the app has read for the engine so far. */
export interface EngineReads {
  /** Every live port of the network, after the change. */
  readonly networkPorts?: readonly Port[];
  /** Every VIP of the network, after the change; read with `networkPorts` (absent: none). */
  readonly networkVips?: readonly VipView[];
  /** Agents by host, each host the engine asked for (null: no agent). */
  readonly agents?: ReadonlyMap<string, Agent | null>;
}

/** What the engine must read before it can go on; the app reads it and calls `planChange` again. */
export interface EngineNeed {
  /** Every port and every VIP of the network (`networkPorts`, `networkVips`). */
  readonly networkPorts?: true;
  readonly agents?: readonly string[];
}

/**
 * The reads a planner may ask for:
 * - `network-ports`: every port of the network (O(ports));
 * - `agents-joining`: the agents of hosts whose presence count crosses zero upwards;
 * - `agents-unrecorded`: the agents of present hosts the index records no member for.
 */
export type EngineRead = 'network-ports' | 'agents-joining' | 'agents-unrecorded';

type Planner<C> = (recorded: RecordedNetwork, change: C, reads: EngineReads) => NetworkPlan | EngineNeed;

export interface ChangeRow<C> {
  /** The incremental planner it runs (`src/core/plan.ts`). */
  readonly planner: string;
  /** What the change carries besides the network record. */
  readonly carries: string;
  /** Read before planning, every time. */
  readonly reads: readonly EngineRead[];
  /** Read only when the plan asks: a host joins or a delta is too large for one message. */
  readonly readsWhen: readonly EngineRead[];
  readonly plan: Planner<C>;
}

/** The contribution context the network's tables reflect: recorded router views and strategies. */
export function recordedContext(
  routers: Readonly<Record<string, RouterView>>,
  strategies: Readonly<Record<string, Strategy>>,
  fallbackStrategy: Strategy = 'tunnel',
): ContributionContext {
  return {
    routers: new Map(Object.entries(routers)),
    // an HA router of a recorded port always has a recorded strategy; the default only for safety
    strategyOf: (id) => strategies[id] ?? fallbackStrategy,
  };
}

function routersAfter(recorded: RecordedNetwork, change: NetworkChange): Record<string, RouterView> {
  if (change.kind !== 'ports' && change.kind !== 'routers' && change.kind !== 'strategies')
    return { ...recorded.routers };
  const out: Record<string, RouterView> = { ...recorded.routers };
  for (const [id, view] of Object.entries(change.routers ?? {})) {
    if (view) out[id] = view;
    else delete out[id];
  }
  return sortedRecord(out);
}

function strategiesAfter(recorded: RecordedNetwork, change: NetworkChange): Record<string, Strategy> {
  return { ...(('strategies' in change && change.strategies) || recorded.strategies) };
}

function contextAfter(recorded: RecordedNetwork, change: NetworkChange): ContributionContext {
  return recordedContext(routersAfter(recorded, change), strategiesAfter(recorded, change));
}

function contributionsOf(
  ports: readonly Port[],
  ctx: ContributionContext,
  vips: readonly VipView[] = [],
): PortContribution[] {
  return [...ports.map((p) => computePortContribution(p, ctx)), ...vips.map(computeVipContribution)];
}

/** Every contribution of the network from a full read: its ports and its VIPs. */
function readContributions(reads: EngineReads, ctx: ContributionContext): PortContribution[] {
  return contributionsOf(reads.networkPorts ?? [], ctx, reads.networkVips);
}

/** The joining hosts' members, from the agents read so far; `asked` collects the hosts still to read. */
function memberReader(recorded: RecordedNetwork, reads: EngineReads, asked: string[]) {
  return (host: string) => {
    const agent = reads.agents?.get(host);
    if (agent === undefined) asked.push(host);
    return computeMember(agent ?? undefined, recorded.network);
  };
}

/** `planSourceChanges` over the contributions before (as recorded) and after; asks for joining agents. */
const planSources: Planner<SourceChangeInput> = (recorded, change, reads) => {
  const before = recordedContext(recorded.routers, recorded.strategies);
  const after = contextAfter(recorded, change);
  const changes = [
    ...change.ports.map((c) => ({
      before: c.before ? computePortContribution(c.before, before) : EMPTY_CONTRIBUTION,
      after: c.after ? computePortContribution(c.after, after) : EMPTY_CONTRIBUTION,
    })),
    ...vipContributionChanges(change.vips ?? []),
  ];
  const asked: string[] = [];
  const plan = planSourceChanges(recorded.index, changes, memberReader(recorded, reads, asked));
  // The ports' records go to the hosts they are bound to, table change or not (docs/vip.md).
  return asked.length > 0
    ? { agents: asked.sort() }
    : withLocalPortChanges(plan, planLocalPortChanges(change.ports));
};

function vipContributionChanges(vips: readonly VipViewChange[]) {
  return vips.map((v) => ({
    before: computeVipContribution(v.before),
    after: computeVipContribution(v.after),
  }));
}

/** `planSourceChanges` over the VIPs' contributions before (their stored records) and after. */
const planVips: Planner<VipChangeInput> = (recorded, change, reads) => {
  const changes = vipContributionChanges(change.vips);
  const asked: string[] = [];
  const plan = planSourceChanges(recorded.index, changes, memberReader(recorded, reads, asked));
  return asked.length > 0 ? { agents: asked.sort() } : plan;
};

/** `planMemberChanges`: the recorded index, with the changed hosts' members recomputed. */
const planMembers: Planner<MemberChangeInput> = (recorded, change, reads) => {
  const contributions = readContributions(reads, recordedContext(recorded.routers, recorded.strategies));
  const members: Record<string, Member> = { ...recorded.index.members };
  for (const [host, agent] of change.agents) {
    if (!recorded.index.counts[host]) continue;
    const m = computeMember(agent ?? undefined, recorded.network);
    if (m) members[host] = m;
    else delete members[host];
  }
  const after = { counts: recorded.index.counts, members: sortedRecord(members) };
  return planMemberChanges(recorded.index, after, contributions, change.restarted);
};

/** One host's snapshot; reading every port anyway, it checks the recorded counts too. */
const planResync: Planner<SnapshotInput> = (recorded, change, reads) => {
  const contributions = readContributions(reads, recordedContext(recorded.routers, recorded.strategies));
  checkCounts(recorded.index, contributions);
  const snapshots = recorded.index.members[change.host] ? [change.host] : [];
  return { index: recorded.index, deltas: new Map(), snapshots, left: [] };
};

/**
 * Which change runs which incremental planner and what it must read, as OVN's
 * `inc-proc-northd.c` wires inputs to handlers. An allowed-address-pair change is a
 * `ports` change: the pairs themselves move no entry (a VIP's entries come from its claims, the
 * `vips` row; docs/vip.md), but they move the port's record on its host (`localPorts`,
 * src/core/local-ports.ts), so the change steps the version when that host is a member.
 * When a planner's precondition fails (`PlannerPreconditionError`), `planChange` runs
 * `FULL_RECOMPUTE` instead and reports `fallback: <kind>/<reason>`.
 */
export const CHANGE_TABLE: { readonly [K in ChangeKind]: ChangeRow<Extract<NetworkChange, { kind: K }>> } = {
  ports: {
    planner: 'planSourceChanges',
    carries:
      'the changed ports (before, after), routers caught up with them, strategies of new HA routers, the views of the VIPs they unbind',
    reads: [],
    readsWhen: ['agents-joining', 'network-ports'],
    plan: planSources,
  },
  routers: {
    planner: 'planSourceChanges',
    carries: "the router's new view and its dependent ports in the network (routerDependedOn)",
    reads: [],
    readsWhen: ['agents-joining', 'network-ports'],
    plan: planSources,
  },
  strategies: {
    planner: 'planSourceChanges',
    carries: 'the flipped routers’ ports and the strategies the flags now resolve to',
    reads: [],
    readsWhen: ['agents-joining', 'network-ports'],
    plan: planSources,
  },
  members: {
    planner: 'planMemberChanges',
    carries: 'the changed hosts’ agents and the restarted hosts',
    reads: ['network-ports'],
    readsWhen: [],
    plan: planMembers,
  },
  vips: {
    planner: 'planSourceChanges',
    carries:
      'the changed VIPs’ views: as stored before (the tables reflect them) and after the claim or release',
    reads: [],
    readsWhen: ['agents-joining', 'network-ports'],
    plan: planVips,
  },
  snapshot: {
    planner: 'computeTable',
    carries: 'the host to resync',
    reads: ['network-ports'],
    readsWhen: [],
    plan: planResync,
  },
};

/** What the full recompute reads; it runs only when a row's precondition fails. */
export const FULL_RECOMPUTE: { readonly planner: string; readonly reads: readonly EngineRead[] } = {
  planner: 'recomputeNetwork',
  reads: ['network-ports', 'agents-unrecorded'],
};

/**
 * The runtime fallback: the index from every port of the network (after the change) and a
 * snapshot for every present agent, since the record no longer says what their tables hold.
 * Members are the recorded ones (agent changes keep them right) except the changed agents of a
 * member change and present hosts the record has none for, whose agents are read.
 * O(ports + hosts x ports) once; it heals the record, so the next change is incremental again.
 */
export function recomputeNetwork(
  recorded: RecordedNetwork,
  change: NetworkChange,
  reads: EngineReads,
): NetworkPlan | EngineNeed {
  if (!reads.networkPorts) return { networkPorts: true };
  const counts = countPresence(readContributions(reads, contextAfter(recorded, change)));
  const hosts = Object.keys(counts).sort();
  const changed = change.kind === 'members' ? change.agents : new Map<string, Agent | null>();
  const unrecorded = hosts.filter((h) => !recorded.index.members[h] && !changed.has(h));
  const missing = unrecorded.filter((h) => !reads.agents?.has(h));
  if (missing.length > 0) return { agents: missing };
  const members: Record<string, Member> = {};
  for (const h of hosts) {
    const recordedMember = recorded.index.members[h];
    const m =
      changed.has(h) || !recordedMember
        ? computeMember((changed.get(h) ?? reads.agents?.get(h)) || undefined, recorded.network)
        : recordedMember;
    if (m) members[h] = m;
  }
  return {
    index: { counts: sortedRecord(counts), members },
    deltas: new Map(),
    snapshots: Object.keys(members),
    left: Object.keys(recorded.index.members)
      .filter((h) => !members[h])
      .sort(),
  };
}

/**
 * The largest delta sent as one message: agent queues take 1 MiB messages; 16 KB is left for the
 * command envelope. A larger delta is replaced by a snapshot of the same version, which is split
 * into parts, so the protocol is unchanged (docs/data-model.md, "limits").
 */
export const MAX_DELTA_BYTES = 1024 * 1024 - 16 * 1024;

/** Below this many entries a delta cannot reach MAX_DELTA_BYTES, so it is not serialised to check. */
const SMALL_DELTA_ENTRIES = 5000;

/**
 * A delta's local-port changes beyond one snapshot part's worth (`localPortWeight`, a removal one
 * entry) are sent as a snapshot instead, which splits them into parts: so the wire bounds
 * (`MAX_LOCAL_PORTS`, src/contracts/commands.ts) hold. A coalesced commit changes at most
 * ~80 ports (COALESCED_ITEM_BUDGET), far below it.
 */
function localDeltaTooLarge(local: AgentDelta['local']): boolean {
  if (isEmptyLocalDelta(local) || !local) return false;
  let w = local.remove.length;
  for (const p of local.upsert) w += localPortWeight(p);
  return w > SNAPSHOT_ENTRIES_PER_PART;
}

/** Hosts whose delta would not fit one message. */
export function oversizedDeltaHosts(plan: NetworkPlan): string[] {
  const out: string[] = [];
  for (const [host, { delta, local }] of plan.deltas) {
    if (localDeltaTooLarge(local)) {
      out.push(host);
      continue;
    }
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

/** What a change does to a network: its next record and the commands, ready for the outbox. */
export interface EngineOutcome<T extends RecordedNetwork> {
  readonly state: T;
  readonly plan: NetworkPlan;
  readonly commands: readonly AddressedCommand[];
  /** False for a snapshot at the current version (a resync): no other command shares it. */
  readonly bumped: boolean;
  /** `<kind>/<reason>` when the full recompute ran because a precondition failed. */
  readonly fallback: string | null;
  /** What the change does to the drift-audit sums (`planDigestChange`), written with the state. */
  readonly digest: NetworkDigestChange;
}

export type EngineStep<T extends RecordedNetwork> =
  | { readonly kind: 'need'; readonly need: EngineNeed }
  | { readonly kind: 'done'; readonly outcome: EngineOutcome<T> };

function isNeed(x: NetworkPlan | EngineNeed): x is EngineNeed {
  return !('deltas' in x);
}

/**
 * The one planner: the network's record, a change, and what has been read so far, to the next
 * record and its commands, or to what must be read first (`need`). Pure and synchronous; the app
 * loops read -> plan until done (`planNetwork`, src/app/network-planner.ts).
 */
export function planChange<T extends RecordedNetwork>(
  recorded: T,
  change: NetworkChange,
  reads: EngineReads = {},
): EngineStep<T> {
  const row = CHANGE_TABLE[change.kind] as ChangeRow<NetworkChange>;
  if (row.reads.includes('network-ports') && !reads.networkPorts)
    return { kind: 'need', need: { networkPorts: true } };
  const routers = routersAfter(recorded, change);
  const strategies = strategiesAfter(recorded, change);
  const digestOf = (plan: NetworkPlan, full: boolean) =>
    planDigestChange({
      kind: change.kind,
      fallback: full,
      ports: 'ports' in change ? change.ports : [],
      vips: change.kind === 'vips' || 'ports' in change ? (change.vips ?? []) : [],
      networkPorts: reads.networkPorts,
      networkVips: reads.networkPorts ? (reads.networkVips ?? []) : undefined,
      before: {
        vipKeys: recorded.vipKeys,
        index: recorded.index,
        context: recordedContext(recorded.routers, recorded.strategies),
        routers: recorded.routers,
        strategies: recorded.strategies,
      },
      after: { index: plan.index, context: recordedContext(routers, strategies), routers, strategies },
    });
  let fallback: string | null = null;
  let planned: NetworkPlan | EngineNeed;
  let digest: NetworkDigestChange | null = null;
  try {
    planned = row.plan(recorded, change, reads);
    // the sums' table of shared entries has a precondition of its own (planVipKeys)
    if (!isNeed(planned)) digest = digestOf(planned, false);
  } catch (err) {
    if (!(err instanceof PlannerPreconditionError)) throw err;
    fallback = `${change.kind}/${err.reason}`;
    planned = recomputeNetwork(recorded, change, reads);
    if (!isNeed(planned)) digest = digestOf(planned, true);
  }
  if (isNeed(planned)) return { kind: 'need', need: planned };
  if (!digest) throw new Error('planChange: a plan without its digest change');
  const vipKeys = digest.vipKeys ? { vipKeys: digest.vipKeys } : {};
  const tableOf = (plan: NetworkPlan) => {
    const contributions = readContributions(reads, recordedContext(routers, strategies));
    return (host: string) => computeTable(host, plan.index, contributions);
  };
  // Called for snapshots only, which are planned with every port read.
  const localOf = (host: string): readonly LocalPort[] => computeLocalPorts(reads.networkPorts ?? [], host);
  if (change.kind === 'snapshot' && fallback === null) {
    const version = change.bump ? recorded.version + 1 : Math.max(recorded.version, 1);
    const snapshots = planned.snapshots.flatMap((host) =>
      planSnapshot(recorded.network, version, tableOf(planned)(host), localOf(host)).map((command) => ({
        host,
        command,
      })),
    );
    // A repair moves the network to the next version; every member hears of every version
    // (docs/data-model.md, "Constant write capacity in hosts"), so the others get the version step.
    const steps =
      change.bump && snapshots.length > 0
        ? planCommands(
            recorded.network,
            version,
            {
              index: planned.index,
              deltas: new Map(
                Object.keys(planned.index.members)
                  .filter((host) => !planned.snapshots.includes(host))
                  .map((host): [string, AgentDelta] => [host, { delta: EMPTY_DELTA, touched: {} }]),
              ),
              snapshots: [],
              left: [],
            },
            tableOf(planned),
            localOf,
          )
        : [];
    const commands = [...snapshots, ...steps];
    const state = commands.length > 0 ? { ...recorded, version } : recorded;
    const bumped = commands.length > 0 && change.bump === true;
    return { kind: 'done', outcome: { state, plan: planned, commands, bumped, fallback, digest } };
  }
  const next = { ...recorded, index: planned.index, strategies, routers, ...vipKeys };
  const sendable = withOversizedDeltasAsSnapshots(planned);
  if (sendable.snapshots.length > 0 && !reads.networkPorts)
    return { kind: 'need', need: { networkPorts: true } };
  const sending = commandsForPlan(next, sendable, tableOf(planned), localOf);
  return {
    kind: 'done',
    outcome: sending
      ? {
          state: { ...next, ...sending.record },
          plan: planned,
          commands: sending.commands,
          bumped: true,
          fallback,
          digest,
        }
      : { state: next, plan: planned, commands: [], bumped: false, fallback, digest },
  };
}

/**
 * The snapshots of `hosts` from every live port of the network as `recorded` holds it: what an
 * outbox record that stored only "snapshot of these hosts" is regenerated to when it is read back,
 * with the network's VIPs
 * (docs/data-model.md, "Constant write capacity in hosts"). Labelled with the recorded version:
 * the caller checks that no commit moved the network between that version and its read.
 */
export function regenerateSnapshots(
  recorded: RecordedNetwork,
  ports: readonly Port[],
  hosts: readonly string[],
  vips: readonly VipView[] = [],
): AddressedCommand[] {
  const contributions = contributionsOf(ports, recordedContext(recorded.routers, recorded.strategies), vips);
  return hosts.flatMap((host) =>
    planSnapshot(
      recorded.network,
      recorded.version,
      computeTable(host, recorded.index, contributions),
      computeLocalPorts(ports, host),
    ).map((command) => ({ host, command })),
  );
}

/**
 * The commands of a plan at the next version, with the record's new `version`; null when no
 * agent's table and no member's local port changes (the version stays). Deltas too large for one
 * message become snapshots. `snapshotOf` gives a host's whole table after the change,
 * `localPortsOf` the ports bound to it.
 */
export function commandsForPlan(
  recorded: Pick<RecordedNetwork, 'network' | 'version'>,
  plan: NetworkPlan,
  snapshotOf: (host: string) => AgentTable,
  localPortsOf: (host: string) => readonly LocalPort[],
): {
  readonly record: Pick<RecordedNetwork, 'version'>;
  readonly commands: readonly AddressedCommand[];
} | null {
  if (!planSendsCommands(plan)) return null;
  const version = recorded.version + 1;
  const sendable = withOversizedDeltasAsSnapshots(plan);
  return {
    record: { version },
    commands: planCommands(recorded.network, version, sendable, snapshotOf, localPortsOf),
  };
}
