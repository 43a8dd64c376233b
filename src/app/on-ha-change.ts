import { computeMaster } from '../core/ha.js';
import { type Recorded, recordHaSchedule, recordHaState } from '../core/transitions.js';
import type { HaOrder, HaRouter, HaState, Port } from '../core/types.js';
import { type Deps, type EventResult, guardNetwork, livePort, runWithRetry } from './reconcile.js';
import { catchUpRouters, planNetworkChanges } from './router-catch-up.js';
import { routerOfPort } from './router-ports.js';

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
 * Level-based: a network already at the current view costs two GetItems and is skipped, so a
 * redelivery after a crash after step 1 or between two networks finishes the networks not yet
 * moved, and a later HA event of the same router moves them too (docs/crash-safety.md, "HA changes").
 * Cost: O(router ports) plus O(hosts) per network; a network is read whole only for the snapshot
 * of an agent that joins it (a new master under `master-binding`).
 */
export async function onHaChange(deps: Deps, change: HaChange): Promise<EventResult> {
  let router: HaRouter | null = null;
  const recorded = await runWithRetry(
    deps,
    async () => [],
    async (store) => {
      const before = await store.getRouter(change.routerId);
      const r = record(before, change);
      if (r.kind === 'stale') return null;
      router = r.value;
      return {
        commit: { routers: [{ value: r.value, expected: before ? before.version : null }] },
        planned: [],
        result: { outcome: 'applied', splitBrain: [], strategies: {} },
      };
    },
  );
  const portsByNetwork = new Map<string, string[]>();
  for (const p of await deps.store.listRouterPorts(change.routerId))
    portsByNetwork.set(p.networkId, [...(portsByNetwork.get(p.networkId) ?? []), p.id]);
  const networks: EventResult['networks'][number][] = [];
  const strategies: Record<string, string> = {};
  for (const networkId of [...portsByNetwork.keys()].sort()) {
    const moved = await reconcileRouterNetwork(
      deps,
      change.routerId,
      networkId,
      portsByNetwork.get(networkId) ?? [],
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
 */
async function reconcileRouterNetwork(
  deps: Deps,
  routerId: string,
  networkId: string,
  portIds: readonly string[],
): Promise<{ result: EventResult; strategy: string | undefined }> {
  let strategy: string | undefined;
  const result = await runWithRetry(
    deps,
    async () => [networkId],
    async (store) => {
      const state = await store.getNetworkState(networkId);
      if (!state) return null;
      strategy = state.strategies[routerId];
      const catchUp = await catchUpRouters(store, state, [routerId], async () => {
        const ports: Port[] = [];
        for (const id of portIds) {
          const p = livePort(await store.getPort(id, networkId));
          if (p && p.networkId === networkId && routerOfPort(p) === routerId) ports.push(p);
        }
        return ports;
      });
      if (catchUp.routersAfter.get(routerId) === catchUp.routersBefore.get(routerId)) return null;
      const planned = await planNetworkChanges(store, state, [], catchUp, []);
      strategy = planned.state.strategies[routerId];
      return {
        commit: { networks: [guardNetwork(state, planned.state)] },
        planned: [planned],
        result: { outcome: 'applied', splitBrain: [], strategies: {} },
      };
    },
  );
  return { result, strategy };
}
