import { computeMaster } from '../core/ha.js';
import type { HaRouter } from '../core/types.js';
import type { NetworkState, RouterView } from './ports.js';

/** The part of a router fact that the desired tables depend on (contribution.ts reads no more). */
export function viewOfRouter(router: HaRouter): RouterView {
  return { hosts: [...router.hosts], master: computeMaster(router).master };
}

export function sameRouterView(a: RouterView | undefined, b: RouterView | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.master === b.master && a.hosts.length === b.hosts.length && a.hosts.every((h, i) => b.hosts[i] === h)
  );
}

/** A router fact that reproduces a recorded view: the master is its one active claim. */
export function routerFromView(id: string, view: RouterView): HaRouter {
  const states = view.master
    ? { [view.master]: { state: 'active' as const, order: { term: 0, seq: 0 } } }
    : {};
  return { id, hosts: [...view.hosts], states, revision: 0, version: 0 };
}

/** The routers as the network's tables reflect them: what every "before" of a plan is computed with. */
export function recordedRouters(state: NetworkState): Map<string, HaRouter> {
  return new Map(Object.entries(state.routers).map(([id, v]) => [id, routerFromView(id, v)]));
}

export function viewsOf(routers: ReadonlyMap<string, HaRouter>): Record<string, RouterView> {
  const out: Record<string, RouterView> = {};
  for (const id of [...routers.keys()].sort()) out[id] = viewOfRouter(routers.get(id) as HaRouter);
  return out;
}
