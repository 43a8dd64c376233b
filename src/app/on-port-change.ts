import { InvalidInputError } from '../core/errors.js';
import { classifyPort } from '../core/owners.js';
import { checkMacUnique, recordPort, recordPortDelete } from '../core/transitions.js';
import type { Network, Port } from '../core/types.js';
import { emptyNetworkState, planIncremental, resolveNetworkStrategies } from './network-planner.js';
import type { Commit } from './ports.js';
import {
  type Deps,
  type EventResult,
  guardNetwork,
  hostsOf,
  livePort,
  loadAgents,
  loadPortsWith,
  loadRouters,
  ROUTER_OWNERS,
  runWithRetry,
} from './reconcile.js';

/** `port.upsert` / `port.delete`: record the port fact, then reconcile its network incrementally. */
export async function onPortChange(
  deps: Deps,
  network: Network | null,
  next: Port | { id: string; networkId: string; revision: number; deleted: true },
): Promise<EventResult> {
  return runWithRetry(
    deps,
    async () => [next.networkId],
    async (store) => {
      const stateBefore = await store.getNetworkState(next.networkId);
      if (!stateBefore && !network) {
        throw new InvalidInputError('unknown_network', `network ${next.networkId} is unknown`, {
          networkId: next.networkId,
        });
      }
      if (
        stateBefore &&
        network &&
        (stateBefore.network.networkType !== network.networkType ||
          stateBefore.network.segmentId !== network.segmentId)
      ) {
        throw new InvalidInputError(
          'segment_mismatch',
          `network ${network.id} is ${stateBefore.network.networkType}/${stateBefore.network.segmentId}, the event says ${network.networkType}/${network.segmentId}`,
        );
      }
      const state = stateBefore ?? emptyNetworkState(network as Network);
      const current = await store.getPort(next.id, next.networkId);
      const recorded =
        'deleted' in next
          ? recordPortDelete(current, next.id, next.networkId, next.revision)
          : recordPort(current, next);
      if (recorded.kind === 'stale') return null;
      const before = livePort(current);
      const after = livePort(recorded.value);
      const macs: Commit['macs'][number][] = [];
      if (after) {
        checkMacUnique(after, await store.getMacOwner(after.networkId, after.mac));
        macs.push({ networkId: after.networkId, mac: after.mac, owner: after.id });
      }
      if (before && before.mac !== after?.mac)
        macs.push({ networkId: before.networkId, mac: before.mac, owner: null });
      const routers = await loadRouters(
        store,
        [before, after]
          .filter((p): p is Port => !!p && ROUTER_OWNERS.has(p.deviceOwner))
          .map((p) => p.deviceId),
      );
      const live = [before, after].filter((p): p is Port => !!p);
      const needsFlags = live.some(
        (p) => classifyPort(p.deviceOwner, p.deviceId, routers) === 'ha' && !state.strategies[p.deviceId],
      );
      const flags = needsFlags ? (await store.getFlags()).flags : null;
      const strategiesAfter = {
        ...state.strategies,
        ...resolveNetworkStrategies(live, routers, state.strategies, flags, state.network.id),
      };
      const agents = await loadAgents(store, hostsOf([before, after], routers));
      const planned = await planIncremental(
        {
          state,
          changes: [{ before, after }],
          routersBefore: routers,
          routersAfter: routers,
          strategiesAfter,
          agents,
        },
        () => loadPortsWith(store, state.network.id, [{ id: next.id, after }]),
      );
      return {
        commit: {
          ports: [{ value: recorded.value, expected: current ? current.revision : null, previous: current }],
          macs,
          networks: [guardNetwork(stateBefore, planned.state)],
        },
        planned: [planned],
        result: { outcome: 'applied', splitBrain: [], strategies: strategiesAfter },
      };
    },
  );
}
