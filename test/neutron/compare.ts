import { type DeviationKind, EXPLAINERS, type ExplainContext, type FdbDiff } from './deviations.js';
import { entryOf, keyOf } from './fold.js';
import type { Fdb } from './oracle.js';

/**
 * The comparison rule of the differential test (issue 7). For every (host, network) pair where the
 * host is present at the end AND its agent l2pops the network's type, Neutron's table (the
 * oracle's fold) must equal ours, up to the deliberate deviations in `deviations.ts`. Presence is
 * the simulator's (an ACTIVE ordinary port bound to the host, or an HA router scheduled there with
 * an ACTIVE interface in the network); our replay must print exactly those pairs (it leaves out
 * empty tables).
 */

export interface ClassifiedDiff extends FdbDiff {
  readonly kind: DeviationKind | 'bug';
  readonly reason: string;
}

export interface PairRef {
  readonly host: string;
  readonly network: string;
}

export interface Comparison {
  /** Pairs whose tables were compared. */
  readonly pairs: PairRef[];
  /**
   * Present pairs left out because the host does not l2pop the network's type: Neutron's fold
   * still feeds them (fanout reaches everyone), we do not (deviation (c), receiving side).
   */
  readonly skipped: PairRef[];
  /** Pairs our replay printed although the host is not present there (or does not l2pop it). */
  readonly unexpectedPairs: PairRef[];
  readonly diffs: ClassifiedDiff[];
  readonly verdict: 'equal' | 'deviations' | 'bug';
}

type Table = Record<string, [string, string][]>;

function keysOf(table: Table): Map<string, Set<string>> {
  return new Map(Object.entries(table).map(([vtep, entries]) => [vtep, new Set(entries.map(keyOf))]));
}

/** Entries in `a` that `b` lacks. */
function minus(a: Table, b: Table): [string, [string, string]][] {
  const bk = keysOf(b);
  const out: [string, [string, string]][] = [];
  for (const [vtep, keys] of keysOf(a)) {
    for (const k of [...keys].sort()) if (!bk.get(vtep)?.has(k)) out.push([vtep, entryOf(k)]);
  }
  return out;
}

/** Why an unexplained difference is there, in Neutron's terms: the message that last touched it. */
function describeBug(d: FdbDiff, ctx: ExplainContext): string {
  const t = ctx.fold.lastTouch(d.host, d.network, d.vtep, keyOf(d.entry));
  if (!t) return 'Neutron never sent this entry to this host';
  const verb = t.added ? 'added' : 'removed';
  return `Neutron last ${verb} it with ${t.method} (${t.target === 'fanout' ? 'fanout' : `cast to ${t.target}`}) at step ${t.step} (${t.op})`;
}

function classify(d: FdbDiff, ctx: ExplainContext): ClassifiedDiff {
  for (const [kind, explain] of EXPLAINERS) {
    const reason = explain(d, ctx);
    if (reason !== null) return { ...d, kind, reason };
  }
  return { ...d, kind: 'bug', reason: describeBug(d, ctx) };
}

export function compareFdb(ctx: ExplainContext, oracle: Fdb, ours: Fdb): Comparison {
  const pairs: PairRef[] = [];
  const skipped: PairRef[] = [];
  const memberKeys = new Set<string>();
  for (const network of [...ctx.sim.networks.keys()].sort()) {
    for (const host of [...ctx.sim.presence(network).keys()].sort()) {
      if (ctx.sim.l2pops(host, network)) {
        pairs.push({ host, network });
        memberKeys.add(`${host}\n${network}`);
      } else {
        skipped.push({ host, network });
      }
    }
  }
  const unexpectedPairs: PairRef[] = [];
  for (const [host, nets] of Object.entries(ours)) {
    for (const network of Object.keys(nets))
      if (!memberKeys.has(`${host}\n${network}`)) unexpectedPairs.push({ host, network });
  }
  const diffs: ClassifiedDiff[] = [];
  for (const { host, network } of pairs) {
    const theirs = oracle[host]?.[network] ?? {};
    const mine = ours[host]?.[network] ?? {};
    for (const [vtep, entry] of minus(theirs, mine))
      diffs.push(classify({ host, network, vtep, entry, side: 'oracle-only' }, ctx));
    for (const [vtep, entry] of minus(mine, theirs))
      diffs.push(classify({ host, network, vtep, entry, side: 'ours-only' }, ctx));
  }
  const bug = unexpectedPairs.length > 0 || diffs.some((d) => d.kind === 'bug');
  const verdict = bug ? 'bug' : diffs.length > 0 ? 'deviations' : 'equal';
  return { pairs, skipped, unexpectedPairs, diffs, verdict };
}

/** Our replay's `fdb` (readonly tables) in the oracle's shape. */
export function toFdb(
  fdb: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<string, readonly (readonly [string, string])[]>>>>>
  >,
): Fdb {
  const out: Fdb = {};
  for (const [host, nets] of Object.entries(fdb)) {
    const h: Fdb[string] = {};
    for (const [net, table] of Object.entries(nets)) {
      const t: Table = {};
      for (const [vtep, entries] of Object.entries(table))
        t[vtep] = entries.map((e) => [e[0], e[1]] as [string, string]);
      h[net] = t;
    }
    out[host] = h;
  }
  return out;
}
