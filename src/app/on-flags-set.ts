import { resolveStrategy } from '../core/flags.js';
import type { FlagSettings } from '../core/types.js';
import { resolveVipStrategy, viewOfVip } from '../core/vip-view.js';
import { planNetwork, resolveNetworkStrategies } from './network-planner.js';
import { type Deps, type EventResult, guardNetwork, runWithRetry } from './reconcile.js';
import { networkReader } from './router-catch-up.js';
import { recordedViews } from './router-views.js';

/**
 * `flags.set`: record the flags, then move every network holding an HA-router port to the
 * strategies the current flags resolve to, one transaction per network (a flag flip can touch
 * thousands of networks; a DynamoDB transaction holds 100 items). Level-based: a network records
 * the strategies its tables reflect, so a redelivery after a crash halfway through, or a stale
 * duplicate, finishes the networks not yet moved. Networks are listed after the flags commit, and
 * each network commit checks the flags revision it planned with, so a concurrent port event that
 * resolved a new HA router with the old flags either is listed here or conflicts and re-plans.
 * A flag flip is one of the changes allowed to read whole networks (guarantee 6, docs/architecture.md).
 */
export async function onFlagsSet(deps: Deps, flags: FlagSettings, revision: number): Promise<EventResult> {
  const recorded = await runWithRetry(deps, async (store) => {
    const current = await store.getFlags();
    if (revision <= current.revision) return null;
    return {
      commit: { flags: { value: { flags, revision }, expected: current.revision } },
      planned: [],
      result: { outcome: 'applied', splitBrain: [], strategies: {} },
    };
  });
  const networks: EventResult['networks'][number][] = [];
  const strategies: Record<string, string> = {};
  for (const networkId of (await deps.store.listHaNetworks()).sort()) {
    const moved = await moveNetwork(deps, networkId);
    networks.push(...moved.networks);
    Object.assign(strategies, moved.strategies);
  }
  for (const networkId of (await deps.store.listVipNetworks()).sort()) {
    const moved = await moveNetworkVips(deps, networkId);
    networks.push(...moved.networks);
    Object.assign(strategies, moved.strategies);
  }
  const applied = recorded.outcome === 'applied' || networks.length > 0;
  return { outcome: applied ? 'applied' : 'stale', networks, splitBrain: [], strategies };
}

/**
 * Moves one network's VIPs to the strategies the current flags resolve to (`resolveVipStrategy`,
 * from each VIP's owner port): the VIP records and the network in one commit, checked against
 * the flags revision, so a claim planned with older flags conflicts and re-plans.
 */
function moveNetworkVips(deps: Deps, networkId: string): Promise<EventResult> {
  return runWithRetry(deps, async (store) => {
    const { flags, revision } = await store.getFlags();
    const state = await store.getNetworkState(networkId);
    if (!state) return null;
    const records = await store.listNetworkVips(networkId);
    const moved = records.flatMap((r) => {
      // a VIP without an owner binds nothing; its strategy is resolved again when a claim takes it
      if (!r.state.owner) return [];
      const strategy = resolveVipStrategy(flags, networkId, r.ip, r.state.owner.portId).strategy;
      return strategy === r.strategy
        ? []
        : [{ before: r, after: { ...r, strategy, version: r.version + 1 } }];
    });
    if (moved.length === 0) return null;
    const afterViews = moved.map((m) => viewOfVip(m.after));
    const planned = await planNetwork(
      state,
      {
        kind: 'vips',
        vips: moved.map((m, i) => ({ before: viewOfVip(m.before), after: afterViews[i] ?? null })),
      },
      networkReader(
        store,
        networkId,
        [],
        undefined,
        moved.map((m) => m.after),
      ),
    );
    return {
      commit: {
        vips: moved.map((m) => ({ value: m.after, expected: m.before.version })),
        networks: [guardNetwork(state, planned.state)],
        checks: [{ kind: 'flags', revision }],
      },
      planned: [planned],
      result: {
        outcome: 'applied',
        splitBrain: [],
        strategies: Object.fromEntries(moved.map((m) => [`vip:${m.after.ip}`, m.after.strategy])),
      },
    };
  });
}

/** Moves one network's HA routers to the strategies the current flags resolve to. */
function moveNetwork(deps: Deps, networkId: string): Promise<EventResult> {
  return runWithRetry(deps, async (store) => {
    const { flags } = await store.getFlags();
    const state = await store.getNetworkState(networkId);
    if (!state) return null;
    const differs = Object.entries(state.strategies).some(
      ([routerId, s]) => resolveStrategy(flags, routerId, networkId).strategy !== s,
    );
    if (!differs) return null;
    const ports = await store.listNetworkPorts(networkId);
    // A flag flip moves strategies only: the routers stay as the network records them.
    const strategiesAfter = resolveNetworkStrategies(ports, recordedViews(state), flags, networkId);
    const moved = Object.keys(strategiesAfter).filter((r) => state.strategies[r] !== strategiesAfter[r]);
    if (moved.length === 0) return null;
    const strategies: Record<string, string> = {};
    for (const r of moved) strategies[r] = strategiesAfter[r] as string;
    const changed = ports.filter((p) => moved.includes(p.deviceId));
    const planned = await planNetwork(
      state,
      {
        kind: 'strategies',
        ports: changed.map((port) => ({ before: port, after: port })),
        strategies: strategiesAfter,
      },
      networkReader(store, networkId, [], ports),
    );
    return {
      commit: { networks: [guardNetwork(state, planned.state)] },
      planned: [planned],
      result: { outcome: 'applied', splitBrain: [], strategies },
    };
  });
}
