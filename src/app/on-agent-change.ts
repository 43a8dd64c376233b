import { planSnapshot } from '../core/commands.js';
import { computeAgentTable } from '../core/desired.js';
import { recordAgent } from '../core/transitions.js';
import type { Agent } from '../core/types.js';
import { agentsFromIndex, flagsFromStrategies, type PlannedNetwork, planFull } from './network-planner.js';
import { outboxKey } from './outbox.js';
import type { Guarded, NetworkState } from './ports.js';
import { type Deps, type EventResult, guardNetwork, loadRouters, runWithRetry } from './reconcile.js';

/**
 * `agent.report`: record the agent, then recompute each network the host counts in (full path:
 * a report changes a whole host: its VTEP, its capabilities, or, with a new boot id, its tables).
 * A restarted agent gets a snapshot of every network it is in; the others get deltas, so a
 * tunnel-IP change removes the old VTEP everywhere (a deviation from Neutron, docs/deviations.md).
 */
export async function onAgentReport(deps: Deps, next: Agent): Promise<EventResult> {
  const { store } = deps;
  return runWithRetry(
    deps,
    () => store.listHostNetworks(next.host),
    async () => {
      const current = await store.getAgent(next.host);
      const recorded = recordAgent(current, next);
      if (recorded.kind === 'stale') return null;
      const { agent, restarted } = recorded.value;
      const planned: PlannedNetwork[] = [];
      const networks: Guarded<NetworkState>[] = [];
      for (const networkId of (await store.listHostNetworks(agent.host)).sort()) {
        const state = await store.getNetworkState(networkId);
        if (!state) continue;
        const ports = await store.listNetworkPorts(networkId);
        const routers = await loadRouters(
          store,
          ports.map((p) => p.deviceId),
        );
        const agents = agentsFromIndex(state);
        agents.set(agent.host, agent);
        const p = planFull({
          state,
          ports,
          routers,
          agents,
          restarted: restarted ? new Set([agent.host]) : new Set(),
        });
        planned.push(p);
        networks.push(guardNetwork(state, p.state));
      }
      return {
        commit: { agents: [{ value: agent, expected: current ? current.revision : null }], networks },
        planned,
        result: { outcome: 'applied', splitBrain: [], strategies: {} },
      };
    },
  );
}

/**
 * `agent.resync`: a snapshot of one or every network the host is present in, at the current
 * version. No version bump; `sent` moves so the next delta's base is the snapshot's version.
 */
export async function onAgentResync(
  deps: Deps,
  host: string,
  networkId: string | undefined,
): Promise<EventResult> {
  const { store } = deps;
  const ids = async () => (networkId ? [networkId] : await store.listHostNetworks(host));
  return runWithRetry(deps, ids, async () => {
    const planned: PlannedNetwork[] = [];
    const networks: Guarded<NetworkState>[] = [];
    for (const id of (await ids()).sort()) {
      const state = await store.getNetworkState(id);
      if (!state?.index.members[host]) continue;
      const ports = await store.listNetworkPorts(id);
      const routers = await loadRouters(
        store,
        ports.map((p) => p.deviceId),
      );
      const table = computeAgentTable(
        {
          network: state.network,
          agents: agentsFromIndex(state),
          ports,
          routers,
          flags: flagsFromStrategies(state.strategies),
        },
        host,
      );
      const version = Math.max(state.version, 1);
      const next: NetworkState = { ...state, version, sent: { ...state.sent, [host]: version } };
      const commands = planSnapshot(state.network, version, table).map((command) => ({ host, command }));
      planned.push({
        state: next,
        outbox: { networkId: id, version, key: outboxKey(version, `~resync~${host}`), commands },
        plan: { index: state.index, deltas: new Map(), snapshots: [host], left: [] },
      });
      networks.push(guardNetwork(state, next));
    }
    if (planned.length === 0) return null;
    return { commit: { networks }, planned, result: { outcome: 'applied', splitBrain: [], strategies: {} } };
  });
}
