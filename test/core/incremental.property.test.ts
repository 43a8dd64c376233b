import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ApplyResult, applyAgentCommand, type HeldNetwork } from '../../src/core/agent-protocol.js';
import { planCommands, planSnapshot } from '../../src/core/commands.js';
import {
  computePortContribution,
  contextFromFacts,
  EMPTY_CONTRIBUTION,
} from '../../src/core/contribution.js';
import { applyTableDelta, computeTableDelta, isEmptyDelta } from '../../src/core/delta.js';
import { computeContributions, computeDesiredNetwork, type DesiredNetwork } from '../../src/core/desired.js';
import { resolveStrategy } from '../../src/core/flags.js';
import { computeMaster } from '../../src/core/ha.js';
import { planLocalPortChanges } from '../../src/core/local-ports.js';
import { computeMember } from '../../src/core/membership.js';
import {
  type NetworkPlan,
  planFullRecompute,
  planMemberChanges,
  planSendsCommands,
  planSourceChanges,
  type SourceChange,
  withLocalPortChanges,
} from '../../src/core/plan.js';
import { boundPortsOf } from '../support/bound-ports.js';
import {
  applyStep,
  clone,
  emptyWorld,
  factsOf,
  NETWORK,
  type Step,
  stepArb,
  type World,
} from './arbitraries.js';

/** Applies a step to the facts; returns the ports whose contribution may change (null: an agent step). */
function applyChange(w: World, step: Step): { changed: string[] | null; restarted: Set<string> } {
  const { written, restarted } = applyStep(w, step);
  const changed =
    written ??
    (step.kind === 'schedule' || step.kind === 'ha-state'
      ? routerPorts(w)
      : step.kind === 'flags'
        ? [...w.ports.keys()]
        : null);
  return { changed, restarted: new Set(restarted ? [restarted] : []) };
}

function routerPorts(w: World): string[] {
  return [...w.ports.values()].filter((p) => p.deviceId === 'r1').map((p) => p.id);
}

function incrementalPlan(
  before: World,
  after: World,
  changed: string[],
  desiredBefore: DesiredNetwork,
): NetworkPlan {
  const ctxB = contextFromFacts(before.routers, before.flags, NETWORK.id);
  const ctxA = contextFromFacts(after.routers, after.flags, NETWORK.id);
  const changes: SourceChange[] = changed.map((id) => {
    const b = before.ports.get(id);
    const a = after.ports.get(id);
    return {
      before: b ? computePortContribution(b, ctxB) : EMPTY_CONTRIBUTION,
      after: a ? computePortContribution(a, ctxA) : EMPTY_CONTRIBUTION,
    };
  });
  const local = planLocalPortChanges(
    changed.map((id) => ({ before: before.ports.get(id), after: after.ports.get(id) })),
  );
  return withLocalPortChanges(
    planSourceChanges(desiredBefore.index, changes, (h) => computeMember(after.agents.get(h), NETWORK)),
    local,
  );
}

/**
 * The `auto` rule restated from the raw facts, independently of `computeRouterView`: an agent
 * holds the HA interface's unicast entry (at the master) iff it does not learn, or runs an ARP
 * proxy, or an agent hosting the router that takes part in the network runs an ARP proxy (it
 * drops the master's ARP replies and GARPs). Returns how many learning agents a hosting proxy
 * moved to the master-binding view, so the test can show the histories reach that case.
 */
function checkAutoRule(w: World, desired: DesiredNetwork): number {
  const port = w.ports.get('r1-ha');
  const router = w.routers.get('r1');
  if (port?.status !== 'ACTIVE' || port.ips.length === 0 || !router) return 0;
  if (resolveStrategy(w.flags, 'r1', 'net1').strategy !== 'auto') return 0;
  const participant = (h: string) => {
    const a = w.agents.get(h);
    return a?.tunnelIp && a.networkTypes.includes('vxlan') ? a : undefined;
  };
  const { master } = computeMaster(router);
  const at = master ? participant(master)?.tunnelIp : undefined;
  if (!master || !at) return 0;
  const hostingProxy = router.hosts.some((h) => participant(h)?.capabilities.arp === 'proxy');
  let decided = 0;
  for (const [host, view] of desired.views) {
    if (host === master) continue;
    const caps = w.agents.get(host)?.capabilities;
    const learns = caps?.learning === true && caps.arp !== 'proxy';
    const held = (view[at] ?? []).filter((e) => e[0] === port.mac).map((e) => e[1]);
    expect(held, `${host}'s view of r1 at ${master}`).toEqual(
      !learns || hostingProxy ? [...port.ips].sort() : [],
    );
    if (learns && hostingProxy) decided++;
  }
  return decided;
}

describe('the incremental planners equal the diff of two full recomputes', () => {
  it('on random histories of ports, DVR, HA scheduling, failovers, split brain, flag flips and agent changes', () => {
    let hostingProxyCases = 0;
    let memberDeltas = 0;
    let localDeltas = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }), (steps) => {
        let world = emptyWorld();
        let desired = computeDesiredNetwork(factsOf(world));
        const held = new Map<string, HeldNetwork | undefined>();
        let version = 0;
        for (const step of steps) {
          const next = clone(world);
          const { changed, restarted } = applyChange(next, step);
          const after = computeDesiredNetwork(factsOf(next));
          const full = planFullRecompute(desired, after, restarted);
          const plan = changed
            ? incrementalPlan(world, next, changed, desired)
            : planMemberChanges(desired.index, after.index, computeContributions(factsOf(next)), restarted);
          const snapshotOf = (h: string) => after.views.get(h) ?? {};
          const localOf = (h: string) => after.local.get(h) ?? [];
          if (!changed) {
            // agent changes: the same plan and the same commands as the full recompute
            expect(plan.index).toEqual(full.index);
            expect(plan.snapshots).toEqual(full.snapshots);
            expect(plan.left).toEqual(full.left);
            const deltasOf = (p: NetworkPlan) => new Map([...p.deltas].map(([h, d]) => [h, d.delta]));
            expect(deltasOf(plan)).toEqual(deltasOf(full));
            expect(planCommands(NETWORK, version + 1, plan, snapshotOf, localOf)).toEqual(
              planCommands(NETWORK, version + 1, full, snapshotOf, localOf),
            );
            if (
              [...plan.deltas.values()].some(
                (d) => Object.keys(d.delta.add).length + Object.keys(d.delta.remove).length > 0,
              )
            )
              memberDeltas++;
          }
          if (changed) {
            expect(plan.index).toEqual(after.index);
            expect(plan.snapshots).toEqual(full.snapshots);
            expect(plan.left).toEqual(full.left);
            for (const [host, { delta, local }] of plan.deltas) {
              const before = desired.views.get(host) ?? {};
              expect(delta).toEqual(computeTableDelta(before, after.views.get(host) ?? {}));
              expect(applyTableDelta(before, delta)).toEqual(after.views.get(host));
              // the local-port changes of the changed ports equal the full recompute's diff
              expect(local, `local ports of ${host}`).toEqual(full.deltas.get(host)?.local);
              if (local) localDeltas++;
            }
          }
          // The commands, applied by agents with the shared protocol, reproduce every view.
          for (const h of restarted) held.delete(h);
          const bump = planSendsCommands(plan);
          expect(bump).toBe(
            plan.snapshots.length > 0 ||
              plan.left.length > 0 ||
              [...plan.deltas.values()].some((d) => !isEmptyDelta(d.delta) || d.local !== undefined),
          );
          const cmds = bump ? planCommands(NETWORK, version + 1, plan, snapshotOf, localOf) : [];
          if (bump) version++;
          for (const { host, command } of cmds) {
            const r: ApplyResult = applyAgentCommand(held.get(host), command);
            expect(r.action === 'applied' || r.action === 'partial').toBe(true);
            held.set(host, r.state);
          }
          for (const [host, view] of after.views) {
            expect(held.get(host)?.table ?? {}).toEqual(view);
            // every agent holds the ports bound to its host, restated from the facts
            expect(held.get(host)?.localPorts ?? [], `${host}'s local ports`).toEqual(
              boundPortsOf(next.ports.values(), host),
            );
          }
          hostingProxyCases += checkAutoRule(next, after);
          world = next;
          desired = after;
        }
      }),
      { numRuns: 300 },
    );
    // the histories do reach learning agents whose view a hosting ARP proxy decides
    expect(hostingProxyCases).toBeGreaterThan(50);
    // and agent changes that move entries in other agents' tables (tunnel IPs, views, joins)
    expect(memberDeltas).toBeGreaterThan(25);
    // and port changes that move some member's local ports
    expect(localDeltas).toBeGreaterThan(100);
  });
});

describe('delta laws', () => {
  const table = fc
    .dictionary(
      fc.constantFrom('198.51.100.1', '198.51.100.2', '198.51.100.3'),
      fc.uniqueArray(
        fc.tuple(
          fc.constantFrom('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02'),
          fc.constantFrom('10.0.0.1', '10.0.0.2'),
        ),
        { minLength: 1, selector: (e) => e.join('|') },
      ),
    )
    .map((t) => applyTableDelta({}, { add: t, remove: {} }));

  it('delta(x, x) is empty', () => {
    fc.assert(
      fc.property(table, (t) => {
        expect(computeTableDelta(t, t)).toEqual({ add: {}, remove: {} });
      }),
    );
  });
  it('applying delta(before, after) to before gives after', () => {
    fc.assert(
      fc.property(table, table, (a, b) => {
        expect(applyTableDelta(a, computeTableDelta(a, b))).toEqual(b);
      }),
    );
  });
  it('output is sorted and deterministic', () => {
    fc.assert(
      fc.property(table, table, (a, b) => {
        const d = computeTableDelta(a, b);
        expect(JSON.stringify(d)).toBe(JSON.stringify(computeTableDelta(a, b)));
        for (const part of [d.add, d.remove]) {
          const ips = Object.keys(part);
          expect(ips).toEqual([...ips].sort());
          for (const entries of Object.values(part))
            expect(entries.map((e) => e.join('|'))).toEqual(entries.map((e) => e.join('|')).sort());
        }
      }),
    );
  });
  it('a large snapshot splits into parts that reassemble into the table', () => {
    const big: Record<string, [string, string][]> = {};
    for (let i = 0; i < 7000; i++)
      (big[`198.51.100.${i % 50}`] ??= []).push([
        `fa:16:3e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
        `10.1.${i >> 8}.${i & 255}`,
      ]);
    const t = applyTableDelta({}, { add: big, remove: {} });
    const local = Array.from({ length: 1200 }, (_, i) => ({
      id: `p${String(i).padStart(4, '0')}`,
      mac: 'fa:16:3e:00:00:01',
      ips: [`10.2.${i >> 8}.${i & 255}`],
      allowedAddressPairs: [{ ipAddress: '10.9.0.0/24', macAddress: 'fa:16:3e:00:00:01' }],
    }));
    const parts = planSnapshot(NETWORK, 3, t, local);
    // 1,200 local ports of weight 5 (6,000) and 7,000 entries: 13,000 in parts of 3,000
    expect(parts.length).toBe(5);
    let held: HeldNetwork | undefined;
    for (const p of [...parts].reverse()) held = applyAgentCommand(held, p).state;
    expect(held?.table).toEqual(t);
    expect(held?.localPorts).toEqual(local);
    expect(held?.version).toBe(3);
  });
});
