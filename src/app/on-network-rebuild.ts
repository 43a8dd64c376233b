import { UNKNOWN_COUNT } from '../core/desired.js';
import type { DigestWrite } from '../core/digest-record.js';
import type { EngineReads } from '../core/engine.js';
import { viewsOfRouters } from '../core/ha.js';
import { planDigestChunks, planRebuild } from '../core/rebuild.js';
import type { Agent } from '../core/types.js';
import { viewsOfVips } from '../core/vip-view.js';
import { resolveNetworkStrategies } from './network-planner.js';
import { outboxKey } from './outbox.js';
import type { FactStore, NetworkState, NetworkWrite, RebuildStore, StoredDerived } from './ports.js';
import { computeOverlapIndex, findOverlaps, planIndexCommits } from './rebuild-index.js';
import {
  ConcurrencyError,
  type Deps,
  EMPTY_COMMIT,
  type EventResult,
  guardNetwork,
  loadAgents,
  loadRouters,
  type RebuildSummary,
  routerIdsOf,
  runWithRetry,
} from './reconcile.js';

/** Whole rebuilds tried when another commit lands between two of its sum commits. */
const REBUILD_ATTEMPTS = 3;

/**
 * A rebuild asked of a runtime built without the rebuild's store: a wiring bug (the deployed
 * runtime always has one; the replay never sends a rebuild), so it is transient like any bug.
 */
export class RebuildUnavailableError extends Error {
  override readonly name = 'RebuildUnavailableError';
}

/**
 * `network.rebuild` (docs/operations.md, "Rebuilding a network"): one network's derived state from
 * its facts, while the controller runs. It arrives in the network's FIFO group of the port-events
 * queue, so no port event of the network runs during it. In order:
 *
 * 1. the overlap indexes (held-IP owners, pair holders, prefix pairs) from every live port, in
 *    commits of at most 90 items, only what is missing or wrong; ports that already break the rule
 *    are reported (`overlaps`), never changed;
 * 2. the presence counts the facts give, written in bulk where the stored ones differ or have no
 *    count (a network of the first engine);
 * 3. the engine's full recompute from the facts (`planRebuild`): the state, the present hosts, an
 *    outbox record with a snapshot to every member at the next version, and the drift-audit sums,
 *    in one transaction guarded on the network's `seq`;
 * 4. if the sums need more than that transaction holds, the host sum records in commits of 32,
 *    each guarded on the `seq` the previous one wrote, the last one marking the sums complete.
 *
 * Every step is idempotent and a re-run rewrites whatever a crash left (docs/crash-safety.md).
 */
export async function onNetworkRebuild(
  deps: Deps,
  networkId: string,
  requestedBy?: string,
): Promise<EventResult> {
  const rebuild = deps.rebuild;
  if (!rebuild) throw new RebuildUnavailableError('this runtime has no rebuild store');
  if (!(await deps.store.getNetworkState(networkId)))
    return { outcome: 'unchanged', networks: [], splitBrain: [], strategies: {} };
  const stored = await rebuild.readDerived(networkId);
  const ports = await deps.store.listNetworkPorts(networkId);
  const index = planIndexCommits(networkId, computeOverlapIndex(ports), stored);
  for (const c of index.commits)
    if ((await deps.store.commit({ ...EMPTY_COMMIT, ...c })) === 'conflict')
      throw new ConcurrencyError(`network ${networkId}: an overlap-index commit of the rebuild conflicted`);
  const summary = {
    networkId,
    ...(requestedBy ? { requestedBy } : {}),
    overlaps: findOverlaps(ports),
    index: index.repair,
    legacy: stored.legacy !== null,
  };
  for (let attempt = 0; attempt < REBUILD_ATTEMPTS; attempt++) {
    const done = await recomputeAndCommit(deps, rebuild, networkId, stored);
    if (!done) return { outcome: 'unchanged', networks: [], splitBrain: [], strategies: {} };
    const chunks = await commitDigestChunks(deps.store, done.committed, done.chunks);
    if (chunks !== null)
      return { ...done.result, rebuild: { ...summary, ...done.summary, digestChunks: chunks } };
  }
  throw new ConcurrencyError(
    `network ${networkId}: other commits kept landing between the rebuild's sum commits (${REBUILD_ATTEMPTS} rebuilds)`,
  );
}

type Committed = {
  readonly result: EventResult;
  readonly committed: NetworkState;
  readonly chunks: readonly (readonly DigestWrite[])[];
  readonly summary: Pick<RebuildSummary, 'presence' | 'members'>;
};

/** Steps 2 and 3: plans from the facts, brings the presence counts back, commits and publishes. */
async function recomputeAndCommit(
  deps: Deps,
  rebuild: RebuildStore,
  networkId: string,
  stored: StoredDerived,
): Promise<Committed | null> {
  let out: Omit<Committed, 'result'> | null = null;
  const result = await runWithRetry(deps, async (store) => {
    const state = (await store.readMany({ networks: [networkId] })).networks.get(networkId)?.state;
    if (!state) return null;
    const ports = await store.listNetworkPorts(networkId);
    const vips = viewsOfVips(await store.listNetworkVips(networkId));
    const routers = await loadRouters(store, routerIdsOf(ports));
    const flags = (await store.getFlags()).flags;
    const input = {
      recorded: state,
      routers: viewsOfRouters(routers),
      strategies: resolveNetworkStrategies(ports, routers, flags, networkId),
      formerHosts: [...stored.digestHosts, ...(stored.legacy?.hosts ?? [])],
      formerMembers: stored.legacy?.members ?? [],
    };
    let reads: EngineReads = { networkPorts: ports, networkVips: vips };
    let step = planRebuild(input, reads);
    while (step.kind === 'need') {
      // Not through the tracked store: a check per present agent would not fit the transaction.
      // An agent report on a present host commits to this network, so the `seq` guard catches it.
      const hosts = step.need.agents ?? [];
      if (hosts.length === 0) throw new Error(`the rebuild asked for ${JSON.stringify(step.need)}`);
      reads = { ...reads, agents: withAbsent(hosts, await loadAgents(deps.store, hosts)) };
      step = planRebuild(input, reads);
    }
    const { outcome } = step;
    const presence = await restorePresence(rebuild, networkId, state, stored, outcome.state.index.counts);
    const sums = planDigestChunks(outcome.digest, outcome.state.version);
    const write: NetworkWrite = {
      ...guardNetwork(state, outcome.state),
      previous: {
        ...state,
        // every present host's count is compared with the stored one (now the facts' count), so
        // the commit writes none unless one moved since
        index: {
          counts: Object.fromEntries(Object.keys(outcome.state.index.counts).map((h) => [h, UNKNOWN_COUNT])),
          members: state.index.members,
        },
        // an HA network's `HANET` item is put whatever was recorded; a network that no longer
        // has HA routers loses it if its record had some
        strategies: Object.keys(outcome.state.strategies).length > 0 ? {} : state.strategies,
      },
      rewriteHosts: true,
    };
    const commands = outcome.commands;
    out = {
      committed: write.value,
      chunks: sums.chunks,
      summary: { presence, members: Object.keys(outcome.state.index.members).length },
    };
    return {
      commit: { networks: [write], digests: [{ networkId, writes: sums.first }] },
      planned: [
        {
          state: outcome.state,
          plan: outcome.plan,
          outbox:
            commands.length > 0
              ? {
                  networkId,
                  version: outcome.state.version,
                  key: outboxKey(outcome.state.version, ''),
                  commands: [...commands],
                }
              : null,
        },
      ],
      result: { outcome: 'applied', splitBrain: [], strategies: outcome.state.strategies },
    };
  });
  return out === null ? null : { ...(out as Omit<Committed, 'result'>), result };
}

function withAbsent(hosts: readonly string[], found: ReadonlyMap<string, Agent>): Map<string, Agent | null> {
  return new Map(hosts.map((h) => [h, found.get(h) ?? null]));
}

/**
 * The presence items as the facts count them, before the state's commit: a host whose stored
 * count differs or is missing (the first engine wrote presence items without one) is put, a host
 * no longer present loses its item. In bulk and unguarded, so the state's transaction stays small
 * whatever the network's size: that transaction then compares every present host's count with
 * the one stored (`previous` counts unknown), under the network's `seq`, and sets any that moved.
 */
async function restorePresence(
  rebuild: RebuildStore,
  networkId: string,
  state: NetworkState,
  stored: StoredDerived,
  counts: Readonly<Record<string, number>>,
): Promise<{ set: number; removed: number }> {
  const present = Object.keys(counts);
  const formerly = [...new Set([...Object.keys(state.index.counts), ...(stored.legacy?.hosts ?? [])])].filter(
    (h) => counts[h] === undefined,
  );
  const now = await rebuild.readPresence(networkId, [...present, ...formerly]);
  const set = Object.fromEntries(
    present.filter((h) => now.get(h) !== counts[h]).map((h) => [h, counts[h] as number]),
  );
  const gone = formerly.filter((h) => now.has(h));
  if (Object.keys(set).length > 0 || gone.length > 0) await rebuild.writePresence(networkId, set, gone);
  return { set: Object.keys(set).length, removed: gone.length };
}

/**
 * Step 4: the host sum records that did not fit the state's transaction, each commit guarded on
 * the `seq` the previous one wrote. Returns how many committed, or null when another commit moved
 * the network in between: its sums were added onto a partial set, so the rebuild must run again.
 */
async function commitDigestChunks(
  store: FactStore,
  committed: NetworkState,
  chunks: Committed['chunks'],
): Promise<number | null> {
  let state = committed;
  for (const writes of chunks) {
    const write = { ...guardNetwork(state, state), previous: state };
    const networkId = state.network.id;
    const outcome = await store.commit({
      ...EMPTY_COMMIT,
      networks: [write],
      digests: [{ networkId, writes }],
    });
    if (outcome === 'conflict') return null;
    state = write.value;
  }
  return chunks.length;
}
