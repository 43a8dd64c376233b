import type { FlagSettings, HaRouter } from '../core/types.js';
import { type PlannedNetwork, planIncremental, resolveNetworkStrategies } from './network-planner.js';
import type { Guarded, NetworkState } from './ports.js';
import {
  type Deps,
  type EventResult,
  guardNetwork,
  hostsOf,
  loadAgents,
  loadPortsWith,
  loadRouters,
  runWithRetry,
} from './reconcile.js';

/**
 * `flags.set`: record the flags, then move every network holding an HA-router port to the
 * strategies the new flags resolve to. Level-based: a network records the strategies its tables
 * reflect, so a redelivery after a crash halfway through finishes the networks not yet moved.
 * A flag flip is one of the changes allowed to read whole networks (brief §3.6).
 */
export async function onFlagsSet(deps: Deps, flags: FlagSettings, revision: number): Promise<EventResult> {
  const { store } = deps;
  return runWithRetry(
    deps,
    () => store.listHaNetworks(),
    async () => {
      const current = await store.getFlags();
      const flagsWrite =
        revision > current.revision ? { value: { flags, revision }, expected: current.revision } : null;
      const effective = flagsWrite ? flags : current.flags;
      const planned: PlannedNetwork[] = [];
      const networks: Guarded<NetworkState>[] = [];
      const strategies: Record<string, string> = {};
      for (const networkId of (await store.listHaNetworks()).sort()) {
        const state = await store.getNetworkState(networkId);
        if (!state) continue;
        const ports = await store.listNetworkPorts(networkId);
        const routers: Map<string, HaRouter> = await loadRouters(
          store,
          ports.map((p) => p.deviceId),
        );
        const strategiesAfter = resolveNetworkStrategies(
          ports,
          routers,
          state.strategies,
          effective,
          networkId,
        );
        const moved = Object.keys(strategiesAfter).filter((r) => state.strategies[r] !== strategiesAfter[r]);
        if (moved.length === 0) continue;
        for (const r of moved) strategies[r] = strategiesAfter[r] as string;
        const changed = ports.filter((p) => moved.includes(p.deviceId));
        const p = await planIncremental(
          {
            state,
            changes: changed.map((port) => ({ before: port, after: port })),
            routersBefore: routers,
            routersAfter: routers,
            strategiesAfter,
            agents: await loadAgents(store, hostsOf(changed, routers)),
          },
          () => loadPortsWith(store, networkId, []),
        );
        planned.push(p);
        networks.push(guardNetwork(state, p.state));
      }
      if (!flagsWrite && planned.length === 0) return null;
      return {
        commit: { flags: flagsWrite, networks },
        planned,
        result: { outcome: 'applied', splitBrain: [], strategies },
      };
    },
  );
}
