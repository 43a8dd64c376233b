import { finishNetwork, type PlannedNetwork, planNetwork } from '../../../src/app/network-planner.js';
import { computeDesiredNetwork } from '../../../src/core/desired.js';
import { planFullRecompute } from '../../../src/core/plan.js';
import type { Agent, NetworkFacts, Port } from '../../../src/core/types.js';
import { type CoreFixture, type PortEvent, portsAfter } from './fixture.js';

/**
 * What `onPortChange` (src/app/on-port-change.ts) computes for one port event once its reads are
 * done: `planNetwork` (the engine's `ports` row: computePortContribution, planSourceChanges, then
 * planCommands), reading the agents of hosts that join. A VM port names no HA router, so the
 * strategies stay as recorded. `loadPortsAfter` is called only if some agent needs a snapshot; in
 * steady state it is not, and `countPortsReadIncremental` checks that.
 */
export function planPortEventIncremental(
  fx: CoreFixture,
  ev: PortEvent,
  loadPortsAfter: () => readonly Port[] = () => portsAfter(fx, ev),
): Promise<PlannedNetwork> {
  return planNetwork(
    fx.state,
    { kind: 'ports', ports: [{ before: ev.before, after: ev.after }] },
    {
      networkPorts: async () => loadPortsAfter(),
      agents: async (hosts) => {
        const agents = new Map<string, Agent>();
        for (const h of hosts) {
          const a = fx.agents.get(h);
          if (a) agents.set(h, a);
        }
        return agents;
      },
    },
  );
}

/**
 * The same event by full recompute, the brute-force reference (the property tests' oracle): the
 * network record keeps no views, so both desired states are computed from the facts, diffed by
 * planFullRecompute and turned into commands by the same finishNetwork. O(hosts x ports).
 */
export function planPortEventFull(
  fx: CoreFixture,
  facts: { before: NetworkFacts; after: NetworkFacts },
): PlannedNetwork {
  const plan = planFullRecompute(computeDesiredNetwork(facts.before), computeDesiredNetwork(facts.after));
  return finishNetwork(fx.state, plan, fx.state.strategies, () => facts.after);
}
