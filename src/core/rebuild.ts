import { computePortContribution } from './contribution.js';
import { computeTable, type NetworkIndex } from './desired.js';
import type { NetworkDigestChange } from './digest-change.js';
import { computeDigestWrites, type DigestWrite, MAX_RESET_HOST_WRITES } from './digest-record.js';
import {
  commandsForPlan,
  type EngineNeed,
  type EngineOutcome,
  type EngineReads,
  type RecordedNetwork,
  recomputeNetwork,
  recordedContext,
} from './engine.js';
import { planDigestChange } from './engine-digest.js';
import { computeLocalPorts } from './local-ports.js';
import type { NetworkPlan } from './plan.js';
import type { RouterView, Strategy } from './types.js';
import { computeVipContribution } from './vip-view.js';

/**
 * A network's derived state rebuilt from its facts (docs/operations.md, "Rebuilding a network"):
 * not a change kind of the engine's table, since it trusts nothing the network records. It runs
 * the engine's full recompute (`recomputeNetwork`) from an empty record, so every present host's
 * member comes from its agent fact, with the router views and strategies the facts give now; every
 * member gets a snapshot at the next version, every host that was a member and is no longer gets
 * `leave`, and the drift-audit sums are rewritten whole (`planDigestChange`, `reset`).
 */
export interface RebuildInput<T extends RecordedNetwork> {
  /** The network as recorded: its version, and the members the agents were last sent to. */
  readonly recorded: T;
  /** The HA routers of the network's ports, viewed from their facts now. */
  readonly routers: Readonly<Record<string, RouterView>>;
  /** The strategy the flags give each HA router of the network now. */
  readonly strategies: Readonly<Record<string, Strategy>>;
  /**
   * Hosts the network may hold derived records for besides its recorded index (a first-engine
   * index, host sum records): their sum records are cleared unless they are members.
   */
  readonly formerHosts?: readonly string[];
  /** Hosts that were members outside the recorded index (a first-engine index): they get `leave` if gone. */
  readonly formerMembers?: readonly string[];
}

export type RebuildStep<T extends RecordedNetwork> =
  | { readonly kind: 'need'; readonly need: EngineNeed }
  | { readonly kind: 'done'; readonly outcome: EngineOutcome<T> };

const EMPTY_INDEX: NetworkIndex = { counts: {}, members: {} };

/** The rebuild's plan, or what it must read first: every port and VIP, then the agent of every present host. */
export function planRebuild<T extends RecordedNetwork>(
  input: RebuildInput<T>,
  reads: EngineReads,
): RebuildStep<T> {
  const { recorded, routers, strategies } = input;
  const base: RecordedNetwork = { ...recorded, index: EMPTY_INDEX, routers, strategies };
  const planned = recomputeNetwork(base, { kind: 'snapshot', host: '' }, reads);
  if (!('deltas' in planned)) return { kind: 'need', need: planned };
  const members = planned.index.members;
  const left = [...new Set([...Object.keys(recorded.index.members), ...(input.formerMembers ?? [])])]
    .filter((h) => !members[h])
    .sort();
  const plan: NetworkPlan = { ...planned, left };
  const context = recordedContext(routers, strategies);
  const contributions = [
    ...(reads.networkPorts ?? []).map((p) => computePortContribution(p, context)),
    ...(reads.networkVips ?? []).map(computeVipContribution),
  ];
  const next = { ...recorded, index: plan.index, routers, strategies };
  const ports = reads.networkPorts ?? [];
  const sending = commandsForPlan(
    next,
    plan,
    (host) => computeTable(host, plan.index, contributions),
    (host) => computeLocalPorts(ports, host),
  );
  const formerCounts = Object.fromEntries((input.formerHosts ?? []).map((h) => [h, 1]));
  const digest = planDigestChange({
    kind: 'snapshot',
    fallback: true,
    ports: [],
    vips: [],
    networkPorts: reads.networkPorts,
    networkVips: reads.networkVips ?? [],
    before: {
      vipKeys: recorded.vipKeys,
      index: { counts: { ...formerCounts, ...recorded.index.counts }, members: recorded.index.members },
      context: recordedContext(recorded.routers, recorded.strategies),
      routers: recorded.routers,
      strategies: recorded.strategies,
    },
    after: { index: plan.index, context, routers, strategies },
  });
  return {
    kind: 'done',
    outcome: {
      state: {
        ...(sending ? { ...next, ...sending.record } : next),
        ...(digest.vipKeys ? { vipKeys: digest.vipKeys } : {}),
      },
      plan,
      commands: sending?.commands ?? [],
      bumped: sending !== null,
      fallback: null,
      digest,
    },
  };
}

/**
 * The drift-audit sum writes of a rebuild, cut to fit transactions: `first` goes into the commit
 * of the network's state; each of `chunks` into a commit of its own guarded on the state's `seq`.
 * Up to `MAX_RESET_HOST_WRITES` host records, `first` holds every write and the sums are complete
 * at once. Past it, `first` marks the network record not comparable (`c: false`, what any full
 * recompute of such a network writes), the chunks put the host records, and the last one puts the
 * network record complete (`c: true`), so an audit never compares a partial set of sums.
 */
export function planDigestChunks(
  change: NetworkDigestChange,
  version: number,
): { readonly first: readonly DigestWrite[]; readonly chunks: readonly (readonly DigestWrite[])[] } {
  const hosts = [...change.hosts].sort(([a], [b]) => (a < b ? -1 : 1));
  if (hosts.length + change.cleared.length <= MAX_RESET_HOST_WRITES)
    return { first: computeDigestWrites(change, version, false), chunks: [] };
  const only = (h: typeof hosts, cleared: readonly string[]) =>
    computeDigestWrites({ ...change, hosts: new Map(h), cleared }, version, false);
  const network = only([], [])[0];
  if (!network) throw new Error('computeDigestWrites wrote no network record');
  const units: ({ host: (typeof hosts)[number] } | { cleared: string })[] = [
    ...hosts.map((host) => ({ host })),
    ...change.cleared.map((cleared) => ({ cleared })),
  ];
  const chunks: DigestWrite[][] = [];
  for (let i = 0; i < units.length; i += MAX_RESET_HOST_WRITES) {
    const part = units.slice(i, i + MAX_RESET_HOST_WRITES);
    const writes = only(
      part.flatMap((u) => ('host' in u ? [u.host] : [])),
      part.flatMap((u) => ('cleared' in u ? [u.cleared] : [])),
    ).filter((w) => w.host !== null);
    chunks.push(writes);
  }
  chunks[chunks.length - 1]?.push(network);
  return { first: [{ ...network, set: { v: version, groups: {}, c: false } }], chunks };
}
