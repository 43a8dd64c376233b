/**
 * Which network a router's dependent ports were in, the last time this process moved it: a hint,
 * never a fact. `ha.state` reads the hinted network's state beside the router's Query (one round
 * instead of two) and uses it only when the Query confirms the router's dependents are all in
 * that network; the commit is guarded as for a state read after the Query (the network's version,
 * the router's version, the port counter), so a stale hint costs one unused read and nothing else.
 *
 * Why a hint and not a key: the dependents are found by the Query, so without one the network's
 * state is a second round (3 up to the publication, `test/runtime/ha-failover-cost.test.ts`). A
 * failover's reports come in pairs (the old master's stop, the new master's report) and routers
 * fail over again, so a warm function has usually moved the router before. Bounded: the oldest
 * entry goes first once `max` routers are held.
 */
export interface RouterNetworkHints {
  get(routerId: string): string | undefined;
  /** The router's dependents are all in `networkId` (or in none or several: `undefined`). */
  set(routerId: string, networkId: string | undefined): void;
}

export function createRouterNetworkHints(max = 10_000): RouterNetworkHints {
  const hints = new Map<string, string>();
  return {
    get: (routerId) => hints.get(routerId),
    set(routerId, networkId) {
      hints.delete(routerId);
      if (networkId === undefined) return;
      hints.set(routerId, networkId);
      if (hints.size > max) hints.delete(hints.keys().next().value as string);
    },
  };
}
