import { computeMaster } from '../core/ha.js';
import { routerDependedOn } from '../core/owners.js';
import { type Recorded, recordHaSchedule, recordHaState } from '../core/transitions.js';
import type { HaOrder, HaRouter, HaState, Port } from '../core/types.js';
import { type Deps, type EventResult, guardNetwork, livePort, runWithRetry } from './reconcile.js';
import { catchUpRouters, planNetworkChanges } from './router-catch-up.js';

export type HaChange =
  | {
      readonly kind: 'state';
      readonly routerId: string;
      readonly host: string;
      readonly state: HaState;
      readonly order: HaOrder;
    }
  | {
      readonly kind: 'schedule';
      readonly routerId: string;
      readonly hosts: readonly string[];
      readonly revision: number;
    };

function record(router: HaRouter | undefined, change: HaChange): Recorded<HaRouter> {
  return change.kind === 'state'
    ? recordHaState(router, change.routerId, change.host, change.state, change.order)
    : recordHaSchedule(router, change.routerId, change.hosts, change.revision);
}

/**
 * `ha.state` / `ha.schedule`, in transactions that do not grow with the router (a DynamoDB
 * transaction holds 100 items; one network costs about four):
 * 1. record the router fact alone, guarded on its version (a stale or duplicate fact records nothing);
 * 2. list the router's ports once, then reconcile each network holding one of them in its own
 *    transaction: move the network from the router view it records to the current fact.
 * Networks where no port depends on the router (`routerDependedOn`) are not visited: no table
 * there depends on it, so moving them would commit 0 commands.
 * Level-based: a network already at the current view costs one GetItem and is skipped, so a
 * redelivery after a crash after step 1 or between two networks finishes the networks not yet
 * moved, and a later HA event of the same router moves them too (docs/crash-safety.md, "HA changes").
 * Cost: O(router ports) plus O(hosts) per network; a network is read whole only for the snapshot
 * of an agent that joins it (a new master under `master-binding`).
 */
export async function onHaChange(deps: Deps, change: HaChange): Promise<EventResult> {
  let router: HaRouter | null = null;
  const recorded = await runWithRetry(deps, async (store) => {
    router = null; // only a committed attempt's fact may stand for the router below
    const before = await store.getRouter(change.routerId);
    const r = record(before, change);
    if (r.kind === 'stale') return null;
    router = r.value;
    return {
      commit: { routers: [{ value: r.value, expected: before ? before.version : null }] },
      planned: [],
      result: { outcome: 'applied', splitBrain: [], strategies: {} },
    };
  });
  // The router's ports, listed once, after the fact is recorded (a port that joins later is moved
  // by its own event). Only networks where a port depends on the router (`routerDependedOn`, the
  // rule `listRouterPorts` is indexed by) are moved: elsewhere the plan would change no table.
  const portsByNetwork = new Map<string, string[]>();
  for (const p of await deps.store.listRouterPorts(change.routerId))
    if (routerDependedOn(p) === change.routerId)
      portsByNetwork.set(p.networkId, [...(portsByNetwork.get(p.networkId) ?? []), p.id]);
  const networks: EventResult['networks'][number][] = [];
  const strategies: Record<string, string> = {};
  for (const networkId of [...portsByNetwork.keys()].sort()) {
    const moved = await reconcileRouterNetwork(
      deps,
      change.routerId,
      networkId,
      portsByNetwork.get(networkId) ?? [],
      router,
    );
    networks.push(...moved.result.networks);
    if (moved.strategy) strategies[networkId] = moved.strategy;
  }
  // Split brain is reported from the router as it stands, also on a redelivery whose first
  // delivery recorded the fact and died: an alarm may count twice, it must not miss one.
  const current = (router as HaRouter | null) ?? (await deps.store.getRouter(change.routerId));
  return {
    outcome: recorded.outcome === 'applied' || networks.length > 0 ? 'applied' : 'stale',
    networks,
    splitBrain: current && computeMaster(current).splitBrain ? [current.id] : [],
    strategies,
  };
}

/**
 * Moves one network to the router's current fact. `portIds` are the router's ports in the network
 * as listed before; each is re-read after the network state, so the plan uses their current value.
 * A port that joined the router since the listing needs nothing here: its own event, committed
 * after the router fact (or retried because of it), already brought the network to the current view.
 * `recorded` is the router fact this event just committed: the first attempt plans with it instead
 * of re-reading it and checks its version at commit, exactly the check a tracked read would add;
 * a newer fact fails that check and the retry reads it. The state and router reads are independent
 * and issued together, the port reads too (after the state).
 */
async function reconcileRouterNetwork(
  deps: Deps,
  routerId: string,
  networkId: string,
  portIds: readonly string[],
  recorded: HaRouter | null,
): Promise<{ result: EventResult; strategy: string | undefined }> {
  let strategy: string | undefined;
  let primed = recorded;
  const result = await runWithRetry(deps, async (store) => {
    const known = primed;
    primed = null;
    const [state, router] = await Promise.all([
      store.getNetworkState(networkId),
      known ?? store.getRouter(routerId),
    ]);
    if (!state) return null;
    strategy = state.strategies[routerId];
    const current = new Map<string, HaRouter>(router ? [[routerId, router]] : []);
    const catchUp = await catchUpRouters(
      store,
      state,
      [routerId],
      async () => {
        const read = await Promise.all(
          portIds.map(async (id) => livePort(await store.getPort(id, networkId))),
        );
        return read.filter(
          (p): p is Port => p !== undefined && p.networkId === networkId && routerDependedOn(p) === routerId,
        );
      },
      current,
    );
    if (!(routerId in catchUp.moved)) return null;
    const planned = await planNetworkChanges(store, state, [], catchUp, []);
    strategy = planned.state.strategies[routerId];
    return {
      commit: {
        networks: [guardNetwork(state, planned.state)],
        checks: known ? [{ kind: 'router', id: routerId, version: known.version }] : [],
      },
      planned: [planned],
      result: { outcome: 'applied', splitBrain: [], strategies: {} },
    };
  });
  return { result, strategy };
}
