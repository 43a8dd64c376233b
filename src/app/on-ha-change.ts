import { computeMaster } from '../core/ha.js';
import { type Recorded, recordHaSchedule, recordHaState } from '../core/transitions.js';
import type { HaOrder, HaRouter, HaState, Port } from '../core/types.js';
import { type PlannedNetwork, planIncremental, resolveNetworkStrategies } from './network-planner.js';
import {
  type Deps,
  type EventResult,
  guardNetwork,
  hostsOf,
  loadAgents,
  loadPortsWith,
  runWithRetry,
} from './reconcile.js';

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
 * `ha.state` / `ha.schedule`: record the router fact, then reconcile every network that holds one
 * of its ports, all in one transaction. Cost: O(router ports x hosts); only networks where an agent
 * joins (a new master under `master-binding`) are read whole, for that agent's snapshot.
 */
export async function onHaChange(deps: Deps, change: HaChange): Promise<EventResult> {
  return runWithRetry(
    deps,
    async () => [...new Set((await deps.store.listRouterPorts(change.routerId)).map((p) => p.networkId))],
    async (store) => {
      const routerPorts = () => store.listRouterPorts(change.routerId);
      // Read first: a port joining or leaving the router after this read fails the commit's check.
      await store.getRouterPortsVersion(change.routerId);
      const before = await store.getRouter(change.routerId);
      const recorded = record(before, change);
      if (recorded.kind === 'stale') return null;
      const after = recorded.value;
      const ports = await routerPorts();
      const byNetwork = new Map<string, Port[]>();
      for (const p of ports) byNetwork.set(p.networkId, [...(byNetwork.get(p.networkId) ?? []), p]);
      const routersBefore = new Map(before ? [[before.id, before]] : []);
      const routersAfter = new Map([[after.id, after]]);
      const agents = await loadAgents(store, hostsOf(ports, new Map([...routersBefore, ...routersAfter])));
      const planned: PlannedNetwork[] = [];
      const networks = [];
      const strategies: Record<string, string> = {};
      for (const [networkId, netPorts] of [...byNetwork].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const state = await store.getNetworkState(networkId);
        if (!state) continue;
        const resolved = resolveNetworkStrategies(
          netPorts,
          routersAfter,
          state.strategies,
          state.strategies[after.id] ? null : (await store.getFlags()).flags,
          networkId,
        );
        const strategiesAfter = { ...state.strategies, ...pick(resolved, state.strategies, after.id) };
        if (strategiesAfter[after.id]) strategies[networkId] = strategiesAfter[after.id] as string;
        const p = await planIncremental(
          {
            state,
            changes: netPorts.map((port) => ({ before: port, after: port })),
            routersBefore,
            routersAfter,
            strategiesAfter,
            agents,
          },
          () => loadPortsWith(store, networkId, []),
        );
        planned.push(p);
        networks.push(guardNetwork(state, p.state));
      }
      const { splitBrain } = computeMaster(after);
      return {
        commit: { routers: [{ value: after, expected: before ? before.version : null }], networks },
        planned,
        result: { outcome: 'applied', splitBrain: splitBrain ? [after.id] : [], strategies },
      };
    },
  );
}

/** A recorded strategy wins; a router new to the network takes the resolved one. */
function pick(
  resolved: Record<string, string>,
  recorded: Record<string, string>,
  routerId: string,
): Record<string, never> {
  const s = recorded[routerId] ?? resolved[routerId];
  return (s ? { [routerId]: s } : {}) as Record<string, never>;
}
