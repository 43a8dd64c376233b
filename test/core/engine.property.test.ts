import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extendStrategies, resolveNetworkStrategies } from '../../src/app/network-planner.js';
import { applyAgentCommand, type HeldNetwork } from '../../src/core/agent-protocol.js';
import { computePortContribution } from '../../src/core/contribution.js';
import { applyTableDelta } from '../../src/core/delta.js';
import { computeDesiredNetwork, type DesiredNetwork } from '../../src/core/desired.js';
import {
  CHANGE_TABLE,
  type ChangeKind,
  type EngineOutcome,
  type EngineReads,
  type NetworkChange,
  planChange,
  type RecordedNetwork,
  recordedContext,
} from '../../src/core/engine.js';
import { resolveStrategy } from '../../src/core/flags.js';
import { sameRouterView, viewOfRouter } from '../../src/core/ha.js';
import { computeMember } from '../../src/core/membership.js';
import { routerDependedOn } from '../../src/core/owners.js';
import { planFullRecompute } from '../../src/core/plan.js';
import type { Agent, Port, RouterView } from '../../src/core/types.js';
import {
  applyStep,
  clone,
  emptyWorld,
  factsOf,
  HOSTS,
  NETWORK,
  type Step,
  stepArb,
  type World,
} from './arbitraries.js';

/**
 * The engine (`planChange`, `CHANGE_TABLE`) driven as the use-cases drive it: from the network's
 * record alone (index, router views, strategies, versions), one change per fact step, reading
 * only what it asks for. The oracle is the full recompute of the facts (`computeDesiredNetwork`,
 * `planFullRecompute`). A generated share of the steps corrupts the recorded index first, so the
 * planner's precondition fails and the runtime fallback must still reach the full recompute's
 * state and report itself.
 */

function dependents(w: World, routerId: string): Port[] {
  return [...w.ports.values()].filter((p) => routerDependedOn(p) === routerId);
}

/**
 * The change a use-case hands the engine for a step (src/app/on-*.ts), or null when it would
 * plan nothing for this network: a port event catches up its routers, an HA event moves the
 * router's dependent ports, a flag flip the flipped routers' ports, an agent report its member.
 */
function changeFor(
  recorded: RecordedNetwork,
  before: World,
  after: World,
  step: Step,
  written: string[] | null,
  restarted: string | null,
): NetworkChange | null {
  const viewsAfter = new Map<string, RouterView>(Object.entries(recorded.routers));
  const catchUp = (ids: string[], skip: ReadonlySet<string>) => {
    const moved: Record<string, RouterView | null> = {};
    const ports: Port[] = [];
    for (const id of [...new Set(ids)].sort()) {
      const r = after.routers.get(id);
      const view = r ? viewOfRouter(r) : undefined;
      if (sameRouterView(recorded.routers[id], view)) continue;
      moved[id] = view ?? null;
      if (view) viewsAfter.set(id, view);
      else viewsAfter.delete(id);
      ports.push(...dependents(after, id).filter((p) => !skip.has(p.id)));
    }
    return { moved, ports };
  };
  if (written) {
    const changes = written.map((id) => ({ before: before.ports.get(id), after: after.ports.get(id) }));
    const live = changes.flatMap((c) => [c.before, c.after]).filter((p): p is Port => p !== undefined);
    const ids = live.map(routerDependedOn).filter((id): id is string => id !== null);
    const { moved, ports } = catchUp(ids, new Set(written));
    const all = [...changes, ...ports.map((p) => ({ before: p, after: p }))];
    const allLive = [...live, ...ports];
    const strategies = extendStrategies(recorded.strategies, allLive, viewsAfter, after.flags, NETWORK.id);
    return { kind: 'ports', ports: all, routers: moved, strategies };
  }
  if (step.kind === 'schedule' || step.kind === 'ha-state') {
    if (dependents(after, 'r1').length === 0) return null;
    const { moved, ports } = catchUp(['r1'], new Set());
    if (!('r1' in moved)) return null;
    const strategies = extendStrategies(recorded.strategies, ports, viewsAfter, after.flags, NETWORK.id);
    return {
      kind: 'routers',
      ports: ports.map((p) => ({ before: p, after: p })),
      routers: moved,
      strategies,
    };
  }
  if (step.kind === 'flags') {
    const ports = [...after.ports.values()];
    const strategies = resolveNetworkStrategies(ports, viewsAfter, after.flags, NETWORK.id);
    const flipped = Object.keys(strategies).filter((r) => recorded.strategies[r] !== strategies[r]);
    if (flipped.length === 0) return null;
    const changed = ports.filter((p) => flipped.includes(p.deviceId));
    return { kind: 'strategies', ports: changed.map((p) => ({ before: p, after: p })), strategies };
  }
  if (step.kind === 'agent') {
    const host = step.host;
    if (!recorded.index.counts[host]) return null;
    const agent = after.agents.get(host) ?? null;
    const m = computeMember(agent ?? undefined, NETWORK);
    const was = recorded.index.members[host];
    const same =
      (was ?? null) === null
        ? m === null
        : m !== null &&
          was?.tunnelIp === m.tunnelIp &&
          was.haView === m.haView &&
          was.arpProxy === m.arpProxy;
    if (same && !restarted) return null;
    if (same) return { kind: 'snapshot', host };
    return { kind: 'members', agents: new Map([[host, agent]]), restarted: new Set(restarted ? [host] : []) };
  }
  return null;
}

/** Corrupts the recorded index so the change's planner precondition fails; null if it cannot. */
function corrupt(recorded: RecordedNetwork, change: NetworkChange): RecordedNetwork | null {
  const counts: Record<string, number> = { ...recorded.index.counts };
  if (change.kind === 'members' || change.kind === 'snapshot') {
    // these read every port and check the counts: any wrong count is caught
    const [h] = Object.keys(counts);
    counts[h ?? 'c1'] = (counts[h ?? 'c1'] ?? 0) + 1;
  } else {
    // a host some changed port made present, forgotten by the record: its count goes negative
    const ctx = recordedContext(recorded.routers, recorded.strategies);
    const host = change.ports
      .flatMap((c) => (c.before ? computePortContribution(c.before, ctx).presence : []))
      .find((h) => (counts[h] ?? 0) > 0);
    if (host === undefined) return null;
    delete counts[host];
  }
  return { ...recorded, index: { ...recorded.index, counts } };
}

/** Runs the engine to completion, answering its reads from the facts after the step. */
function runEngine(
  recorded: RecordedNetwork,
  change: NetworkChange,
  after: World,
): { outcome: EngineOutcome<RecordedNetwork>; readPorts: boolean; readAgents: string[] } {
  let reads: EngineReads = {};
  const readAgents: string[] = [];
  for (let round = 0; round < 5; round++) {
    const step = planChange(recorded, change, reads);
    if (step.kind === 'done') return { outcome: step.outcome, readPorts: !!reads.networkPorts, readAgents };
    const agents = new Map<string, Agent | null>(reads.agents ?? []);
    for (const h of step.need.agents ?? []) {
      expect(agents.has(h), `asked twice for ${h}`).toBe(false);
      agents.set(h, after.agents.get(h) ?? null);
      readAgents.push(h);
    }
    reads = {
      ...(step.need.networkPorts || reads.networkPorts ? { networkPorts: [...after.ports.values()] } : {}),
      agents,
    };
  }
  throw new Error('the engine kept asking');
}

/** An agent restart that keeps its facts: the `snapshot` row (a restart with the same member). */
const restartArb: fc.Arbitrary<Step> = fc.constantFrom(...HOSTS).map((host) => ({
  kind: 'agent',
  host,
  tunnelIp: 0,
  learning: true,
  arp: 'responder',
  types: 'vxlan',
  restart: true,
}));

/** Steps, each with a die: below 2 (one in five) the record is corrupted before planning. */
const historyArb = fc.array(
  fc.tuple(
    fc.oneof({ weight: 8, arbitrary: stepArb }, { weight: 1, arbitrary: restartArb }),
    fc.nat({ max: 9 }),
  ),
  { minLength: 1, maxLength: 40, size: 'max' },
);

describe('the engine equals the full recompute', () => {
  it('for every change kind on random histories, and falls back to it when the recorded index is corrupt', () => {
    const planned: Record<ChangeKind, number> = {
      ports: 0,
      routers: 0,
      strategies: 0,
      members: 0,
      snapshot: 0,
    };
    const fellBack: Record<ChangeKind, number> = {
      ports: 0,
      routers: 0,
      strategies: 0,
      members: 0,
      snapshot: 0,
    };
    let steadyWithoutPortsRead = 0;
    fc.assert(
      fc.property(historyArb, (history) => {
        let world = emptyWorld();
        let desired: DesiredNetwork = computeDesiredNetwork(factsOf(world));
        let recorded: RecordedNetwork = {
          network: NETWORK,
          version: 0,
          index: { counts: {}, members: {} },
          sent: {},
          strategies: {},
          routers: {},
        };
        const held = new Map<string, HeldNetwork | undefined>();
        for (const [step, dice] of history) {
          const next = clone(world);
          const { written, restarted } = applyStep(next, step);
          if (restarted) held.delete(restarted);
          const after = computeDesiredNetwork(factsOf(next));
          const change = changeFor(recorded, world, next, step, written, restarted);
          if (change) {
            // one step in five corrupts the record first (when the planner can notice)
            const broken = dice < 2 ? corrupt(recorded, change) : null;
            const { outcome, readPorts, readAgents } = runEngine(broken ?? recorded, change, next);
            const { plan } = outcome;
            if (broken) {
              fellBack[change.kind]++;
              expect(outcome.fallback).toMatch(
                new RegExp(`^${change.kind}/(negative-count|index-mismatch)$`),
              );
              // the full recompute: the facts' index, and a snapshot for every present agent
              expect(plan.snapshots).toEqual([...after.views.keys()].sort());
              expect(plan.deltas.size).toBe(0);
            } else {
              planned[change.kind]++;
              expect(outcome.fallback).toBeNull();
              const full = planFullRecompute(desired, after, new Set(restarted ? [restarted] : []));
              if (change.kind !== 'snapshot') {
                expect(plan.snapshots).toEqual(full.snapshots);
                expect(plan.left).toEqual(full.left);
                for (const [host, { delta }] of plan.deltas)
                  expect(applyTableDelta(desired.views.get(host) ?? {}, delta), host).toEqual(
                    after.views.get(host) ?? {},
                  );
                expect([...plan.deltas.keys()].sort()).toEqual([...full.deltas.keys()].sort());
              } else
                expect(plan.snapshots).toEqual(restarted && after.views.has(restarted) ? [restarted] : []);
              // what the change table says it reads, and no more
              const row = CHANGE_TABLE[change.kind];
              if (row.reads.includes('network-ports')) expect(readPorts).toBe(true);
              else if (plan.snapshots.length === 0) {
                expect(readPorts).toBe(false);
                steadyWithoutPortsRead++;
              }
              for (const h of readAgents) expect(recorded.index.counts[h] ?? 0).toBe(0);
            }
            expect(outcome.state.index).toEqual(after.index);
            // the commands, applied by the agents, give every agent its full-recompute view
            for (const { host, command } of outcome.commands) {
              const r = applyAgentCommand(held.get(host), command);
              expect(['applied', 'partial']).toContain(r.action);
              held.set(host, r.state);
            }
            recorded = outcome.state;
          } else {
            // nothing planned: the facts moved no table of this network
            expect(recorded.index).toEqual(after.index);
            for (const [h, view] of after.views) expect(desired.views.get(h)).toEqual(view);
          }
          for (const [host, view] of after.views) expect(held.get(host)?.table ?? {}, host).toEqual(view);
          for (const host of held.keys())
            if (!after.views.has(host)) expect(held.get(host)?.table ?? {}, `${host} left`).toEqual({});
          // the record keeps the strategy the flags resolve to for every HA router it reflects
          for (const [id, s] of Object.entries(recorded.strategies))
            if ([...next.ports.values()].some((p) => p.deviceId === id && p.status === 'ACTIVE'))
              expect(s).toBe(resolveStrategy(next.flags, id, NETWORK.id).strategy);
          world = next;
          desired = after;
        }
      }),
      { numRuns: 250 },
    );
    // every change kind is planned incrementally, and falls back, many times
    for (const kind of Object.keys(planned) as ChangeKind[]) {
      expect(planned[kind], `${kind} planned`).toBeGreaterThan(50);
      expect(fellBack[kind], `${kind} fell back`).toBeGreaterThan(8);
    }
    expect(steadyWithoutPortsRead).toBeGreaterThan(1000);
  });
});
