import { addVisibleEntries, type PortContribution } from './contribution.js';
import { computeTableDelta, isEmptyDelta, type TableDelta } from './delta.js';
import { countPresence, type DesiredNetwork, isUnknownCount, type NetworkIndex } from './desired.js';
import { addToBuilder, FLOODING_ENTRY, finishTable, type TableBuilder } from './entries.js';
import { computeLocalPortsDelta, isEmptyLocalDelta, type LocalPortsDelta } from './local-ports.js';
import type { Member } from './membership.js';
import type { AgentTable } from './types.js';

/**
 * An incremental planner's precondition does not hold: the network's recorded index disagrees
 * with its facts. Not an input error and not transient: the engine catches it and falls back to
 * the full recompute (`planChange`, engine.ts), which heals the record.
 */
export class PlannerPreconditionError extends Error {
  override readonly name = 'PlannerPreconditionError';
  /** A stable tag for logs and metrics (`fallback: <kind>/<reason>`). */
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** One port's contribution before and after a batch of events (first before, last after). */
export interface SourceChange {
  readonly before: PortContribution;
  readonly after: PortContribution;
}

/** The change one present agent must apply. */
export interface AgentDelta {
  readonly delta: TableDelta;
  /** The part of the agent's old table that the changed ports produced (for `chg_ip` detection). */
  readonly touched: AgentTable;
  /** The ports bound to the agent's host that changed (`src/core/local-ports.ts`); absent: none. */
  readonly local?: LocalPortsDelta;
}

/** What each agent of the network must receive for a batch. */
export interface NetworkPlan {
  readonly index: NetworkIndex;
  /** Agents present before and after that do not need a snapshot: their delta (possibly empty). */
  readonly deltas: ReadonlyMap<string, AgentDelta>;
  /** Agents that need a full snapshot: newly present, or restarted. */
  readonly snapshots: readonly string[];
  /** Agents that stopped being present: they drop the network. */
  readonly left: readonly string[];
}

export function sortedRecord<T>(rec: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k] as T;
  return out;
}

/**
 * The incremental path (OVN-northd style): from the O(hosts) index and the contributions of the
 * ports that changed, the delta of every present agent. Agent facts are constant here (agent
 * changes take `planMemberChanges`); flags and HA state are folded into the contributions.
 *
 * Cost: O(changed hosts + present hosts x changed entries); unchanged ports are never looked at.
 * It equals the diff of two full recomputes because (a) every entry's host is in its own
 * contribution's presence, so hosts that join or leave carry entries only from changed ports,
 * (b) MACs are unique per network and tunnel IPs per agent, so the entries of changed ports are
 * disjoint from the rest, and (c) the hosts an `auto` entry's visibility depends on (the router's
 * hosting nodes, `computeRouterView`) are in that same contribution's presence too, so their
 * members change only with a changed port: a schedule change replans every port of the router,
 * and a hosting agent's capability change is an agent change (`planMemberChanges`).
 * `test/core/incremental.property.test.ts` checks it on random histories.
 *
 * `memberOf` is asked only about hosts whose presence count crosses zero.
 */
export function planSourceChanges(
  before: NetworkIndex,
  changes: readonly SourceChange[],
  memberOf: (host: string) => Member | null,
): NetworkPlan {
  const counts: Record<string, number> = { ...before.counts };
  // Precondition: the recorded index counts every presence the changed ports had before.
  for (const c of changes) for (const h of c.before.presence) counts[h] = (counts[h] ?? 0) - 1;
  for (const [host, n] of Object.entries(counts))
    if (n < 0)
      throw new PlannerPreconditionError(
        'negative-count',
        `presence count of ${host} went negative: the recorded index and the facts disagree`,
      );
  for (const c of changes) for (const h of c.after.presence) counts[h] = (counts[h] ?? 0) + 1;
  const members: Record<string, Member> = { ...before.members };
  for (const [host, n] of Object.entries(counts)) {
    if (n === 0) {
      delete counts[host];
      delete members[host];
    } else if (!before.counts[host]) {
      const m = memberOf(host);
      if (m) members[host] = m;
    }
  }
  const joined = Object.keys(members)
    .filter((h) => !before.members[h])
    .sort();
  const left = Object.keys(before.members)
    .filter((h) => !members[h])
    .sort();

  const deltas = new Map<string, AgentDelta>();
  for (const [host, self] of Object.entries(members)) {
    if (!before.members[host]) continue;
    const was: TableBuilder = new Map();
    const now: TableBuilder = new Map();
    for (const h of left)
      if (h !== host) addToBuilder(was, (before.members[h] as Member).tunnelIp, FLOODING_ENTRY);
    for (const h of joined)
      if (h !== host) addToBuilder(now, (members[h] as Member).tunnelIp, FLOODING_ENTRY);
    for (const c of changes) {
      addVisibleEntries(was, host, self, c.before.entries, before.members);
      addVisibleEntries(now, host, self, c.after.entries, members);
    }
    const touched = finishTable(was);
    deltas.set(host, { delta: computeTableDelta(touched, finishTable(now)), touched });
  }
  return {
    index: { counts: sortedRecord(counts), members: sortedRecord(members) },
    deltas,
    snapshots: joined,
    left,
  };
}

/**
 * The precondition of the planners that read every port: the recorded presence counts are those
 * of the contributions. O(ports); throws `PlannerPreconditionError` ('index-mismatch') otherwise.
 */
export function checkCounts(index: NetworkIndex, contributions: readonly PortContribution[]): void {
  const counts = countPresence(contributions);
  const hosts = new Set([...Object.keys(counts), ...Object.keys(index.counts)]);
  for (const h of hosts) {
    const recorded = index.counts[h] ?? 0;
    // a count the store did not read only says the host is present
    if (isUnknownCount(recorded) ? (counts[h] ?? 0) > 0 : (counts[h] ?? 0) === recorded) continue;
    throw new PlannerPreconditionError(
      'index-mismatch',
      `presence count of ${h} is ${isUnknownCount(recorded) ? 'present' : recorded} in the recorded index, ${counts[h] ?? 0} from the ports`,
    );
  }
}

function sameMember(a: Member | undefined, b: Member | undefined): boolean {
  return a?.tunnelIp === b?.tunnelIp && a?.haView === b?.haView && a?.arpProxy === b?.arpProxy;
}

/**
 * The agent-change path: the plan `planFullRecompute` gives for the desired states under the
 * members of `before` and `after` over the same ports (`contributions`), without materialising a
 * single view. A member change (tunnel IP, network types, capabilities, an agent appearing or
 * going) moves only:
 * - the flooding entries of the changed hosts;
 * - the entries located on a changed host (they travel under its tunnel IP);
 * - the visibility of `auto` entries (it depends on the receiving member and on the members
 *   hosting the router, `computeRouterView`).
 * Every other entry is located on an unchanged member and seen by everyone, so it renders the same
 * in both states, and MACs unique per network and tunnel IPs unique per agent keep it apart from
 * the moved ones. Each present agent's delta is therefore the diff of the moved part alone.
 *
 * Cost: O(entries + present hosts x moved entries) instead of O(present hosts x entries) twice:
 * a tunnel-IP change in a network of 500 hosts and 50,000 ports moves the changed host's own
 * entries only. `test/core/incremental.property.test.ts` checks it equals `planFullRecompute`,
 * commands included, on random histories of agent changes.
 */
export function planMemberChanges(
  before: NetworkIndex,
  after: NetworkIndex,
  contributions: readonly PortContribution[],
  restarted: ReadonlySet<string> = new Set(),
): NetworkPlan {
  checkCounts(before, contributions);
  const changed = [...new Set([...Object.keys(before.members), ...Object.keys(after.members)])]
    .filter((h) => !sameMember(before.members[h], after.members[h]))
    .sort();
  const isChanged = new Set(changed);
  const moved = contributions.flatMap((c) =>
    c.entries.filter((e) => isChanged.has(e.host) || e.audience.kind !== 'all'),
  );
  const render = (host: string, index: NetworkIndex): TableBuilder => {
    const out: TableBuilder = new Map();
    const self = index.members[host];
    if (!self) return out;
    for (const h of changed) {
      const m = index.members[h];
      if (m && h !== host) addToBuilder(out, m.tunnelIp, FLOODING_ENTRY);
    }
    addVisibleEntries(out, host, self, moved, index.members);
    return out;
  };
  const deltas = new Map<string, AgentDelta>();
  const snapshots: string[] = [];
  for (const host of Object.keys(after.members).sort()) {
    if (!before.members[host] || restarted.has(host)) {
      snapshots.push(host);
      continue;
    }
    const touched = finishTable(render(host, before));
    deltas.set(host, { delta: computeTableDelta(touched, finishTable(render(host, after))), touched });
  }
  const left = Object.keys(before.members)
    .filter((h) => !after.members[h])
    .sort();
  return { index: after, deltas, snapshots, left };
}

/**
 * The full-recompute path: the diff of two desired states (tables and local ports). It is the reference that
 * `planSourceChanges` (port, HA and flag changes) and `planMemberChanges` (agent changes) are
 * property-tested against. `restarted` hosts that stay present get a snapshot instead of a delta.
 */
export function planFullRecompute(
  before: DesiredNetwork,
  after: DesiredNetwork,
  restarted: ReadonlySet<string> = new Set(),
): NetworkPlan {
  const deltas = new Map<string, AgentDelta>();
  const snapshots: string[] = [];
  for (const [host, view] of after.views) {
    const old = before.views.get(host);
    if (!old || restarted.has(host)) {
      snapshots.push(host);
      continue;
    }
    const local = computeLocalPortsDelta(before.local.get(host) ?? [], after.local.get(host) ?? []);
    deltas.set(host, {
      delta: computeTableDelta(old, view),
      touched: old,
      ...(isEmptyLocalDelta(local) ? {} : { local }),
    });
  }
  const left = [...before.views.keys()].filter((h) => !after.views.has(h));
  return { index: after.index, deltas, snapshots: snapshots.sort(), left: left.sort() };
}

/**
 * `plan` with the local-port changes of `changes` (`planLocalPortChanges`) on the deltas of the
 * hosts they are bound to. A joining host's snapshot carries its whole list and a leaving host
 * drops the network, so only hosts with a delta take them; a host that is not a member hears
 * nothing of the network at all.
 */
export function withLocalPortChanges(
  plan: NetworkPlan,
  local: ReadonlyMap<string, LocalPortsDelta>,
): NetworkPlan {
  if (local.size === 0) return plan;
  const deltas = new Map(plan.deltas);
  for (const [host, change] of local) {
    const d = deltas.get(host);
    if (d && !isEmptyLocalDelta(change)) deltas.set(host, { ...d, local: change });
  }
  return { ...plan, deltas };
}

/** Whether a plan sends anything: a snapshot, a leave, or a delta that moves a table or a local port. */
export function planSendsCommands(plan: NetworkPlan): boolean {
  return (
    plan.snapshots.length > 0 ||
    plan.left.length > 0 ||
    [...plan.deltas.values()].some((d) => !isEmptyDelta(d.delta) || !isEmptyLocalDelta(d.local))
  );
}
