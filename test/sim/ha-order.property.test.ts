import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { HaScheduleEvent, HaStateEvent, InboundEvent } from '../../src/contracts/events.js';
import { OWNER } from '../../src/core/owners.js';
import { STRATEGIES, type Strategy } from '../../src/core/types.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';
import { createFactOracle } from '../../tools/sim/fact-oracle.js';
import { OVS } from './bed.js';

/**
 * HA facts are order independent: whatever order one router's schedules and state reports arrive
 * in (every permutation, not a sample), the controller's agents end with the same tables, equal to
 * the full recompute of the final facts, and the fact oracle folds them to the same router. Any
 * revision the contract allows counts, 0 included (a state report that arrived first once made a
 * revision-0 schedule stale).
 */
const NETWORK = { id: 'n1', name: 'n1', networkType: 'vxlan' as const, segmentId: 100 };
const HOSTS = ['compute1', 'net1', 'net2', 'net3'] as const;
const IP: Record<string, string> = {
  compute1: '198.51.100.11',
  net1: '198.51.100.21',
  net2: '198.51.100.22',
  net3: '198.51.100.23',
};

function setup(strategy: Strategy): InboundEvent[] {
  const port = (id: string, host: string, mac: string, ip: string, owner: string, device: string) => ({
    type: 'port.upsert' as const,
    v: 1 as const,
    network: NETWORK,
    port: {
      ...{ id, networkId: 'n1', mac, ips: [ip], host, deviceOwner: owner, deviceId: device },
      ...{ status: 'ACTIVE' as const, dvrHosts: [], revision: 1 },
    },
  });
  return [
    {
      type: 'flags.set',
      v: 1,
      flags: { defaultStrategy: strategy, rollout: null, networks: {}, routers: {} },
      revision: 1,
    },
    ...HOSTS.map(
      (host): InboundEvent => ({
        ...{ type: 'agent.report', v: 1, host, tunnelIp: IP[host] ?? null, agentType: 'Open vSwitch agent' },
        ...{ networkTypes: ['vxlan'], capabilities: OVS, bootId: `${host}-boot`, revision: 1 },
      }),
    ),
    port('vm1', 'compute1', 'fa:16:3e:00:00:11', '10.1.0.11', 'compute:nova', 'i-1'),
    port('r1-if', 'net1', 'fa:16:3e:ff:00:01', '10.1.0.1', OWNER.haInterface, 'r1'),
  ];
}

const hostSet = fc.subarray(['net1', 'net2', 'net3'], { minLength: 0, maxLength: 3 });

/** One router's events: up to two schedules (distinct revisions from 0) and up to three reports. */
const routerEvents = fc
  .record({
    revisions: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
    schedules: fc.tuple(hostSet, hostSet),
    states: fc.array(
      fc.record({
        host: fc.constantFrom('net1', 'net2', 'net3'),
        state: fc.constantFrom('active' as const, 'standby' as const),
        term: fc.integer({ min: 0, max: 1 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ revisions, schedules, states }): (HaScheduleEvent | HaStateEvent)[] => [
    ...revisions.map(
      (revision, i): HaScheduleEvent => ({
        type: 'ha.schedule',
        v: 1,
        routerId: 'r1',
        hosts: schedules[i] ?? [],
        revision,
      }),
    ),
    // distinct (term, seq) per report, so no two reports of one host are duplicates
    ...states.map((s, i): HaStateEvent => ({ type: 'ha.state', v: 1, routerId: 'r1', ...s, seq: i + 1 })),
  ]);

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

async function run(strategy: Strategy, events: readonly InboundEvent[]) {
  const store = createMemoryStore();
  const agents = createTableAgents();
  const oracle = createFactOracle();
  for (const e of [...setup(strategy), ...events]) {
    await dispatchEvent({ store, publisher: agents.publisher }, e);
    oracle.apply(e);
  }
  expect(agents.takeGaps()).toEqual([]);
  const desired = oracle.desired().get('n1') ?? new Map();
  const tables = Object.fromEntries(HOSTS.map((h) => [h, agents.table(h, 'n1')]));
  for (const h of HOSTS) expect(tables[h], h).toEqual(desired.get(h) ?? {});
  const router = oracle.router('r1');
  return { tables, router: { hosts: router?.hosts, states: router?.states, revision: router?.revision } };
}

describe('HA facts: the end state does not depend on delivery order', () => {
  it('a state report before a revision-0 schedule keeps the schedule (the reported case)', async () => {
    const schedule: HaScheduleEvent = {
      ...{ type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['net1', 'net2'], revision: 0 },
    };
    const state: HaStateEvent = {
      type: 'ha.state',
      v: 1,
      routerId: 'r1',
      host: 'net1',
      state: 'active',
      term: 0,
      seq: 1,
    };
    const a = await run('master-binding', [schedule, state]);
    const b = await run('master-binding', [state, schedule]);
    expect(b).toEqual(a);
    expect(b.router.hosts).toEqual(['net1', 'net2']);
    // the compute node holds the router port's entry behind the master
    expect(b.tables.compute1?.[IP.net1 as string]).toContainEqual(['fa:16:3e:ff:00:01', '10.1.0.1']);
  });

  it.each(STRATEGIES)('every order of one router events converges to one state (%s)', async (strategy) => {
    await fc.assert(
      fc.asyncProperty(routerEvents, async (events) => {
        const orders = permutations(events);
        const first = await run(strategy, orders[0] ?? []);
        for (const order of orders.slice(1)) expect(await run(strategy, order)).toEqual(first);
      }),
      { numRuns: 25 },
    );
  });
});
