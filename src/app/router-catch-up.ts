import type { VipViewChange } from '../core/engine.js';
import { sameRouterView, viewOfRouter } from '../core/ha.js';
import { routerDependedOn } from '../core/owners.js';
import type { HaRouter, Port, RouterView } from '../core/types.js';
import { type VipRecord, viewsOfVips } from '../core/vip-view.js';
import {
  extendStrategies,
  type NetworkReader,
  type PlannedNetwork,
  type PortChange,
  planNetwork,
  routersWithoutStrategy,
} from './network-planner.js';
import type { FactStore, NetworkState } from './ports.js';
import { loadAgents, loadPortsWith, loadRouters } from './reconcile.js';
import { recordedViews } from './router-views.js';

/** A network's routers after bringing some of them up to their current fact. */
export interface RouterCatchUp {
  /** The caught-up routers whose view moved: their current view (null: the fact is gone). */
  readonly moved: Readonly<Record<string, RouterView | null>>;
  /** Every router view the network reflects after the catch-up. */
  readonly viewsAfter: ReadonlyMap<string, RouterView>;
  /** The moved routers' ports in the network that depend on them: their contributions move too. */
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
  const viewsAfter = recordedViews(state);
  const moved: Record<string, RouterView | null> = {};
  const current = known ?? (await loadRouters(store, ids));
  const ports: Port[] = [];
  for (const id of [...new Set(ids)].sort()) {
    const now = current.get(id);
    const view = now ? viewOfRouter(now) : undefined;
    if (sameRouterView(state.routers[id], view)) continue;
    moved[id] = view ?? null;
    if (view) viewsAfter.set(id, view);
    else viewsAfter.delete(id);
    ports.push(...(await portsOf(id)).filter((p) => routerDependedOn(p) === id));
  }
  return { moved, viewsAfter, ports };
}

/**
 * The reader of one network for the engine: tracked agent reads, ports with `replaced` applied,
 * VIPs with `vipsAfter` applied (the records a change writes; one without an owner binds nothing).
 */
export function networkReader(
  store: FactStore,
  networkId: string,
  replaced: readonly { id: string; after: Port | undefined }[],
  ports?: readonly Port[],
  vipsAfter: readonly VipRecord[] = [],
): NetworkReader {
  return {
    networkPorts: async () => ports ?? loadPortsWith(store, networkId, replaced),
    networkVips: async () => {
      const ips = new Set(vipsAfter.map((v) => v.ip));
      const stored = (await store.listNetworkVips(networkId)).filter((v) => !ips.has(v.ip));
      return viewsOfVips([...stored, ...vipsAfter]).sort((a, b) => (a.ip < b.ip ? -1 : 1));
    },
    agents: (hosts) => loadAgents(store, hosts),
  };
}

/**
 * Plans one network for port changes plus a router catch-up: one engine change, so the index
 * moves from the recorded routers to the current ones and from the old ports to the new at once.
 * `replaced` names the ports whose stored value the changes supersede (for a snapshot's full read);
 * `vips` the VIPs the changes unbind (src/app/vip-unbinding.ts), planned with them.
 */
export async function planNetworkChanges(
  store: FactStore,
  state: NetworkState,
  changes: readonly PortChange[],
  catchUp: RouterCatchUp,
  replaced: readonly { id: string; after: Port | undefined }[],
  vips: { readonly views: readonly VipViewChange[]; readonly after: readonly VipRecord[] } = {
    views: [],
    after: [],
  },
): Promise<PlannedNetwork> {
  const all = [...changes, ...catchUp.ports.map((p) => ({ before: p, after: p }))];
  const live = all.flatMap((c) => [c.before, c.after]).filter((p): p is Port => p !== undefined);
  const needsFlags = routersWithoutStrategy(live, catchUp.viewsAfter, state.strategies).length > 0;
  const flags = needsFlags ? (await store.getFlags()).flags : null;
  const strategies = extendStrategies(state.strategies, live, catchUp.viewsAfter, flags, state.network.id);
  return planNetwork(
    state,
    {
      kind: changes.length > 0 ? 'ports' : 'routers',
      ports: all,
      routers: catchUp.moved,
      strategies,
      ...(vips.views.length > 0 ? { vips: vips.views } : {}),
    },
    networkReader(store, state.network.id, replaced, undefined, vips.after),
  );
}
