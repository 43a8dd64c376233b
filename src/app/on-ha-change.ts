import { computeMaster } from '../core/ha.js';
import { routerDependedOn } from '../core/owners.js';
import { type Recorded, recordHaSchedule, recordHaState } from '../core/transitions.js';
import type { HaOrder, HaRouter, HaState, Port } from '../core/types.js';
import type { PlannedNetwork } from './network-planner.js';
import type { FactCheck, FactStore, NetworkState } from './ports.js';
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

/** The router's live ports whose contribution reads it (`routerDependedOn`), by network. */
function dependentsByNetwork(ports: readonly Port[], routerId: string): Map<string, Port[]> {
  const out = new Map<string, Port[]>();
  for (const p of ports)
    if (routerDependedOn(p) === routerId) out.set(p.networkId, [...(out.get(p.networkId) ?? []), p]);
  return out;
}

/** What the first transaction saw: the router after it, and the networks left to move one by one. */
interface FirstStep {
  readonly router: HaRouter | undefined;
  readonly later: ReadonlyMap<string, readonly Port[]>;
}

/**
 * `ha.state` / `ha.schedule` (docs/crash-safety.md, "HA changes"; docs/data-model.md, "Cost per event").
 * 1. One Query reads the router, its dependent ports and their write counter (`readRouter`); the
 *    network its dependents were last seen in (`deps.routerNetworks`, a hint) is read beside it.
 * 2. A router with ports in ONE network: that network's state is read (one BatchGetItem) and ONE
 *    transaction records the fact and moves the network, checked against the port counter. In the
 *    steady state (the new master already present, D17) that is 3 sequential rounds up to the
 *    publication of the commands, 2 when the hint named that network (its read went with the
 *    Query); deleting the published outbox record is one more, after the fan-out.
 * 3. A router with ports in several networks: the fact is recorded alone (with the same check),
 *    then each network moves in a transaction of its own, so no transaction grows with the router
 *    (a DynamoDB transaction holds 100 items; one network costs about four).
 * The counter check makes the listing exact at commit time: a port of the router written between
 * the Query and the commit fails it, and the attempt is planned again from a new Query. Networks
 * where no port depends on the router are not visited. Level-based: a stale or duplicate fact
 * records nothing but still moves a network whose tables lag the current fact (a redelivery after
 * a crash between two networks finishes them).
 */
export async function onHaChange(deps: Deps, change: HaChange): Promise<EventResult> {
  const { routerId } = change;
  let first: FirstStep = { router: undefined, later: new Map() };
  const committed = await runWithRetry(deps, async (store) => {
    // The hinted network's state is read beside the Query; the attempt's store keeps it, so the
    // plan below reads it from there when the Query confirms the hint (`attemptStore`).
    const hinted = deps.routerNetworks?.get(routerId);
    const [read] = await Promise.all([
      store.readRouter(routerId),
      hinted === undefined ? undefined : store.getNetworkState(hinted),
    ]);
    const r = record(read.router, change);
    const router = r.kind === 'stale' ? read.router : r.value;
    const byNetwork = dependentsByNetwork(read.ports, routerId);
    const [only] = byNetwork.size === 1 ? byNetwork : [];
    deps.routerNetworks?.set(routerId, only?.[0]);
    first = { router, later: only ? new Map() : byNetwork };
    const checks: FactCheck[] = [{ kind: 'routerPorts', id: routerId, seq: read.portsSeq }];
    const routers = r.kind === 'stale' ? [] : [{ value: r.value, expected: read.router?.version ?? null }];
    const moved = only ? await planRouterNetwork(store, routerId, only[0], router, only[1]) : undefined;
    if (!moved && r.kind === 'stale') return null;
    return {
      commit: { routers, checks, networks: moved ? [guardNetwork(moved.before, moved.planned.state)] : [] },
      planned: moved ? [moved.planned] : [],
      result: {
        outcome: 'applied',
        splitBrain: [],
        strategies: moved?.strategy && only ? { [only[0]]: moved.strategy } : {},
      },
    };
  });
  const networks = [...committed.networks];
  const strategies: Record<string, string> = { ...committed.strategies };
  for (const [networkId, ports] of [...first.later].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const moved = await reconcileRouterNetwork(deps, routerId, networkId, ports, first.router ?? null);
    networks.push(...moved.result.networks);
    if (moved.strategy) strategies[networkId] = moved.strategy;
  }
  // Split brain is reported from the router as it stands, also on a redelivery whose first
  // delivery recorded the fact and died: an alarm may count twice, it must not miss one.
  const current = first.router;
  return {
    outcome: committed.outcome === 'applied' || networks.length > 0 ? 'applied' : 'stale',
    networks,
    splitBrain: current && computeMaster(current).splitBrain ? [current.id] : [],
    strategies,
  };
}

/**
 * Plans one network of the router from the router fact `router` and its dependent `ports` there,
 * both as read (or just recorded) in this attempt; null when the network already reflects it.
 */
async function planRouterNetwork(
  store: FactStore,
  routerId: string,
  networkId: string,
  router: HaRouter | undefined,
  ports: readonly Port[],
): Promise<{ before: NetworkState; planned: PlannedNetwork; strategy: string | undefined } | undefined> {
  const state = await store.getNetworkState(networkId);
  if (!state) return undefined;
  const known = new Map<string, HaRouter>(router ? [[routerId, router]] : []);
  const catchUp = await catchUpRouters(store, state, [routerId], async () => ports, known);
  if (!(routerId in catchUp.moved)) return undefined;
  const planned = await planNetworkChanges(store, state, [], catchUp, []);
  return { before: state, planned, strategy: planned.state.strategies[routerId] };
}

/**
 * Moves one network to the router's current fact, after the fact was recorded (several networks).
 * `listed` are the router's ports in the network as read before; each is re-read after the
 * network state, so the plan uses their current value. A port that joined the router since needs
 * nothing here: its own event, committed after the router fact (or retried because of it), already
 * brought the network to the current view. `recorded` is the router fact as the first step left
 * it: the first attempt plans with it and checks its version at commit, exactly the check a
 * tracked read would add; a newer fact fails that check and the retry reads it.
 */
async function reconcileRouterNetwork(
  deps: Deps,
  routerId: string,
  networkId: string,
  listed: readonly Port[],
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
          listed.map(async (p) => livePort(await store.getPort(p.id, networkId))),
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
