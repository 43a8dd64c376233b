import type { HaHostState, HaOrder, HaRouter, RouterView } from './types.js';

export function compareOrder(a: HaOrder, b: HaOrder): number {
  if (a.term !== b.term) return a.term < b.term ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export interface MasterResolution {
  /** The host of the newest `active` claim among the scheduled hosts, or null. */
  readonly master: string | null;
  /** Every scheduled host currently claiming `active`, sorted; more than one is split brain. */
  readonly activeHosts: readonly string[];
  readonly splitBrain: boolean;
}

/**
 * Resolves the VRRP master. With two simultaneous masters the newest claim wins (guarantee 4, docs/architecture.md);
 * ties on the ordering key break on the host name so the answer is deterministic.
 */
export function computeMaster(router: HaRouter): MasterResolution {
  let master: string | null = null;
  let best: HaHostState | null = null;
  const activeHosts: string[] = [];
  for (const host of router.hosts) {
    const s = router.states[host];
    if (s?.state !== 'active') continue;
    activeHosts.push(host);
    if (best === null || compareOrder(s.order, best.order) > 0) {
      best = s;
      master = host;
    }
  }
  activeHosts.sort();
  return { master, activeHosts, splitBrain: activeHosts.length > 1 };
}

/** The part of a router fact that the desired tables depend on (`computePortContribution` reads no more). */
export function viewOfRouter(router: HaRouter): RouterView {
  return { hosts: [...router.hosts], master: computeMaster(router).master };
}

export function sameRouterView(a: RouterView | undefined, b: RouterView | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.master === b.master && a.hosts.length === b.hosts.length && a.hosts.every((h, i) => b.hosts[i] === h)
  );
}

/** The views of routers, sorted by id: what a network records. */
export function viewsOfRouters(routers: ReadonlyMap<string, HaRouter>): Record<string, RouterView> {
  const out: Record<string, RouterView> = {};
  for (const id of [...routers.keys()].sort()) out[id] = viewOfRouter(routers.get(id) as HaRouter);
  return out;
}
