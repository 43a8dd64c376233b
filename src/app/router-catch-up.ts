import type { HaRouter, Port } from '../core/types.js';
import {
  extendStrategies,
  type PlannedNetwork,
  type PortChange,
  planIncremental,
  routersWithoutStrategy,
} from './network-planner.js';
import type { FactStore, NetworkState } from './ports.js';
import { hostsOf, loadAgents, loadPortsWith, loadRouters, ROUTER_OWNERS } from './reconcile.js';
import { recordedRouters, sameRouterView, viewOfRouter } from './router-views.js';

/** A network's routers before and after bringing some of them up to their current fact. */
export interface RouterCatchUp {
  /** Every router as the network records it: what its index reflects. */
  readonly routersBefore: ReadonlyMap<string, HaRouter>;
  /** The same with the caught-up routers replaced by their current fact. */
  readonly routersAfter: ReadonlyMap<string, HaRouter>;
  /** The caught-up routers' other ports in the network: their contributions move too. */
  readonly ports: readonly Port[];
}

/**
 * Brings routers `ids` up to their current fact in one network. A router whose current view
 * (hosts, master) equals the recorded one costs one GetItem and nothing else, which keeps a
 * steady-state event O(1). `portsOf` must return the router's live ports in this network and be
 * read after the network state: a port written in between commits that state, so the plan's
 * guard on it fails and the plan is redone. The router reads are tracked, so a router that changes
 * before the commit fails it too (`runWithRetry`).
 */
export async function catchUpRouters(
  store: FactStore,
  state: NetworkState,
  ids: readonly string[],
  portsOf: (routerId: string) => Promise<readonly Port[]>,
  /** The routers' current facts when the caller already read them (tracked), else read here. */
  known?: ReadonlyMap<string, HaRouter>,
): Promise<RouterCatchUp> {
  const routersBefore = recordedRouters(state);
  const routersAfter = new Map(routersBefore);
  const current = known ?? (await loadRouters(store, ids));
  const ports: Port[] = [];
  for (const id of [...new Set(ids)].sort()) {
    const now = current.get(id);
    if (sameRouterView(state.routers[id], now && viewOfRouter(now))) continue;
    if (now) routersAfter.set(id, now);
    else routersAfter.delete(id);
    // Only these owners' contributions depend on the router (classifyPort); the others are unchanged.
    ports.push(...(await portsOf(id)).filter((p) => ROUTER_OWNERS.has(p.deviceOwner)));
  }
  return { routersBefore, routersAfter, ports };
}

/**
 * Plans one network for port changes plus a router catch-up: one incremental plan, so the index
 * moves from the recorded routers to the current ones and from the old ports to the new at once.
 * `replaced` names the ports whose stored value the changes supersede (for a snapshot's full read).
 */
export async function planNetworkChanges(
  store: FactStore,
  state: NetworkState,
  changes: readonly PortChange[],
  catchUp: RouterCatchUp,
  replaced: readonly { id: string; after: Port | undefined }[],
): Promise<PlannedNetwork> {
  const all = [...changes, ...catchUp.ports.map((p) => ({ before: p, after: p }))];
  const live = all.flatMap((c) => [c.before, c.after]).filter((p): p is Port => p !== undefined);
  const needsFlags = routersWithoutStrategy(live, catchUp.routersAfter, state.strategies).length > 0;
  const flags = needsFlags ? (await store.getFlags()).flags : null;
  const strategiesAfter = extendStrategies(
    state.strategies,
    live,
    catchUp.routersAfter,
    flags,
    state.network.id,
  );
  // Only hosts that may join need their agent (`planSourceChanges` asks for no other member):
  // those of the changed ports under the new routers that have no presence in the network yet. A
  // present host's member is in the index, and an agent report that changes it moves this network
  // under the same guard, so neither its read nor a check on it is needed.
  const joining = hostsOf(live, catchUp.routersAfter).filter((h) => !state.index.counts[h]);
  const agents = await loadAgents(store, joining);
  return planIncremental(
    {
      state,
      changes: all,
      routersBefore: catchUp.routersBefore,
      routersAfter: catchUp.routersAfter,
      strategiesAfter,
      agents,
    },
    () => loadPortsWith(store, state.network.id, replaced),
  );
}
