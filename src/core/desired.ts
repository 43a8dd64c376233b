import {
  addVisibleEntries,
  computePortContribution,
  contextFromFacts,
  type PortContribution,
} from './contribution.js';
import { addToBuilder, FLOODING_ENTRY, finishTable, type TableBuilder } from './entries.js';
import { computeMaster } from './ha.js';
import { computeLocalPorts, type LocalPort } from './local-ports.js';
import { computeMember, type Member } from './membership.js';
import type { AgentTable, NetworkFacts } from './types.js';
import { computeVipContribution } from './vip-view.js';

/**
 * A present host's count that the store did not read: it is at least 1, and the planners add to
 * it like to any count, so `UNKNOWN_COUNT + d` says "moved by d" and never crosses zero. A store
 * that keeps counts in per-host items (DynamoDB, docs/data-model.md "Constant write capacity in
 * hosts") records such a move as an atomic ADD whose condition checks the host stays present; when
 * it would not, the commit conflicts and the retry reads that host's exact count.
 */
export const UNKNOWN_COUNT = 2 ** 40;

/** Whether a recorded count is `UNKNOWN_COUNT` moved by some changes (never an exact count). */
export function isUnknownCount(n: number): boolean {
  return n >= UNKNOWN_COUNT / 2;
}

/** Presence counts per host and the present members: the O(hosts) summary kept per network. */
export interface NetworkIndex {
  /**
   * Host -> number of port contributions that make it present (participating or not), or
   * `UNKNOWN_COUNT` (moved) for a present host whose count was not read.
   */
  readonly counts: Readonly<Record<string, number>>;
  /** Present, participating hosts. */
  readonly members: Readonly<Record<string, Member>>;
}

export interface DesiredNetwork {
  readonly index: NetworkIndex;
  /** Present host -> the table it should hold for this network. */
  readonly views: ReadonlyMap<string, AgentTable>;
  /** Present host -> the ports bound to it (`computeLocalPorts`): not part of its table. */
  readonly local: ReadonlyMap<string, readonly LocalPort[]>;
  /** HA routers with an interface here that have more than one active claim. */
  readonly splitBrain: readonly string[];
}

export function computeContributions(facts: NetworkFacts): PortContribution[] {
  const ctx = contextFromFacts(facts.routers, facts.flags, facts.network.id);
  return [
    ...facts.ports.map((p) => computePortContribution(p, ctx)),
    ...(facts.vips ?? []).map(computeVipContribution),
  ];
}

/** Host -> how many contributions make it present: the `counts` of an index. */
export function countPresence(contributions: readonly PortContribution[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of contributions) for (const h of c.presence) counts[h] = (counts[h] ?? 0) + 1;
  return counts;
}

export function computeIndex(facts: NetworkFacts, contributions: readonly PortContribution[]): NetworkIndex {
  const counts = countPresence(contributions);
  const members: Record<string, Member> = {};
  for (const host of Object.keys(counts).sort()) {
    const m = computeMember(facts.agents.get(host), facts.network);
    if (m) members[host] = m;
  }
  return { counts, members };
}

/** `host`'s table under `index` from every contribution of the network: what a snapshot carries. */
export function computeTable(
  host: string,
  index: NetworkIndex,
  contributions: readonly PortContribution[],
): AgentTable {
  const self = index.members[host];
  if (!self) return {};
  const builder: TableBuilder = new Map();
  for (const [other, m] of Object.entries(index.members)) {
    if (other !== host) addToBuilder(builder, m.tunnelIp, FLOODING_ENTRY);
  }
  for (const c of contributions) addVisibleEntries(builder, host, self, c.entries, index.members);
  return finishTable(builder);
}

/**
 * The full recompute: the table every present agent should hold, as a pure function of the facts
 * and the flag. It is the oracle the incremental planner is property-tested against.
 */
export function computeDesiredNetwork(facts: NetworkFacts): DesiredNetwork {
  const contributions = computeContributions(facts);
  const index = computeIndex(facts, contributions);
  const views = new Map<string, AgentTable>();
  const local = new Map<string, readonly LocalPort[]>();
  for (const host of Object.keys(index.members)) {
    views.set(host, computeTable(host, index, contributions));
    local.set(host, computeLocalPorts(facts.ports, host));
  }
  const splitBrain = [...facts.routers.values()]
    .filter((r) => facts.ports.some((p) => p.deviceId === r.id) && computeMaster(r).splitBrain)
    .map((r) => r.id)
    .sort();
  return { index, views, local, splitBrain };
}

/** One agent's table: what a snapshot carries. Empty when the host is not present. */
export function computeAgentTable(facts: NetworkFacts, host: string): AgentTable {
  const contributions = computeContributions(facts);
  return computeTable(host, computeIndex(facts, contributions), contributions);
}
