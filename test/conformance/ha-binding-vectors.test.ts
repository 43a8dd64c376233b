import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { computePortContribution, contextFromFacts } from '../../src/core/contribution.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { computeMaster } from '../../src/core/ha.js';
import { OWNER } from '../../src/core/owners.js';
import { recordHaSchedule, recordHaState } from '../../src/core/transitions.js';
import type { HaRouter, Port } from '../../src/core/types.js';
import { type ReplayResult, replayTrace } from '../../tools/replay/replay.js';
import { deviationLabel } from '../deviations/ids.js';
import { traceUpTo, vectorTrace } from './vector-trace.js';
import { type EventVector, loadEventVectors, loadFixtures, loadRawVectors } from './vectors.js';

/**
 * Conformance vectors S41-S45: strategy B's machinery in `test_l3_hamode_db.py`, restated in our
 * terms. Neutron moves the binding host of a router's ports to the reporter of `active`; the
 * replay's Neutron model does the same to the port facts, and the controller itself locates
 * master-bound entries at the newest `active` claim (`computeMaster`), whatever the binding says.
 */

const raw = loadRawVectors();
const fixtures = loadFixtures();
const vectors = loadEventVectors(raw);
const expectedDbSchema = z.array(
  z.object({ expected_db: z.record(z.string(), z.string()).optional() }).passthrough(),
);

function vectorOf(id: string): EventVector {
  const v = vectors.get(id);
  if (!v) throw new Error(`${id} is not an event vector`);
  return v;
}

function named(id: string): string {
  return z.object({ name: z.string() }).parse(raw.get(id)).name;
}

/** The replay after the setup and the first `events` events of a vector. */
function replayUpTo(v: EventVector, events: number): Promise<ReplayResult> {
  return replayTrace(traceUpTo(vectorTrace(v, fixtures, { observer: false, vectors }), events), {
    strategy: 'tunnel',
  });
}

async function hostOf(r: ReplayResult, port: string): Promise<string | undefined> {
  const p = await r.store.getPort(port, 'net1');
  return p && !('deleted' in p) ? p.host : undefined;
}

/** `expected_db` keys of the form `<port>.host`: the binding host Neutron leaves the port with. */
async function expectBindings(r: ReplayResult, db: Record<string, string> | undefined, step: number) {
  for (const [key, value] of Object.entries(db ?? {})) {
    const m = /^(\w+)\.host$/.exec(key);
    if (m?.[1]) expect(await hostOf(r, m[1]), `${key} after step ${step}`).toBe(value);
  }
}

function order(seq: number) {
  return { term: 0, seq };
}

function router(hosts: string[], states: [string, 'active' | 'standby'][]): HaRouter {
  const scheduled = recordHaSchedule(undefined, 'R1', hosts, 1);
  if (scheduled.kind !== 'applied') throw new Error('schedule');
  let r = scheduled.value;
  states.forEach(([host, state], i) => {
    const next = recordHaState(r, 'R1', host, state, order(i + 1));
    if (next.kind === 'applied') r = next.value;
  });
  return r;
}

describe('conformance vectors S41-S45: HA port binding (strategy B machinery)', () => {
  it(`S41 ${named('S41')}`, async () => {
    const v = vectorOf('S41');
    const steps = expectedDbSchema.parse(v.steps);
    for (const [i, step] of steps.entries()) {
      const r = await replayUpTo(v, i + 1);
      await expectBindings(r, step.expected_db, i + 1);
      const stored = await r.store.getRouter('R1');
      const master = stored ? computeMaster(stored).master : null;
      expect(master).toBe(i === 0 ? 'h1' : 'h2');
      // the gateway port's unicast entry is located at the master, wherever it is bound
      const gw: Port = {
        id: 'gw1',
        networkId: 'net1',
        mac: 'fa:16:3e:00:00:99',
        ips: ['203.0.113.5'],
        deviceOwner: OWNER.routerGateway,
        deviceId: 'R1',
        host: 'h1',
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
      };
      const routers = new Map(stored ? [[stored.id, stored]] : []);
      expect(
        computePortContribution(gw, contextFromFacts(routers, DEFAULT_FLAGS, gw.networkId)).presence,
      ).toEqual([master]);
      // Strategy A: rebinding the HA interface sends nothing
      expect(Object.keys(r.messages)).toEqual([]);
    }
  });

  it(`S42 ${named('S42')}`, () => {
    const scheduled = router(['h1', 'h2'], []);
    expect(computeMaster(scheduled).master).toBeNull();
    expect(computeMaster(router(['h1', 'h2'], [['h2', 'active']])).master).toBe('h2');
  });

  it(`S43 ${named('S43')}`, async () => {
    const v = vectorOf('S43');
    const steps = expectedDbSchema.parse(v.steps);
    for (const [i, step] of steps.entries())
      await expectBindings(await replayUpTo(v, i + 1), step.expected_db, i + 1);
    // without an active claim there is no master to locate a master-bound entry at
    expect(
      computeMaster(
        router(
          ['h1', 'h2'],
          [
            ['h1', 'standby'],
            ['h2', 'standby'],
          ],
        ),
      ).master,
    ).toBeNull();
  });

  const livenessSchema = z.object({
    cases: z.array(
      z.object({
        states: z.record(z.string(), z.enum(['active', 'standby'])),
        dead: z.array(z.string()).optional(),
        admin_down: z.array(z.string()).optional(),
        expected: z.record(z.string(), z.string()),
      }),
    ),
  });
  it(`S44 ${named('S44')} (ours: ${deviationLabel('D13')}, no L3-agent liveness: a claim stands until a newer one)`, () => {
    for (const c of livenessSchema.parse(raw.get('S44')).cases) {
      const claims = Object.entries(c.states);
      const r = router(Object.keys(c.states), claims);
      const active = claims.filter(([, s]) => s === 'active').map(([h]) => h);
      // the newest active claim wins whether or not its agent is alive; two claims are split brain
      expect(computeMaster(r).master, JSON.stringify(c)).toBe(active.at(-1) ?? null);
      expect(computeMaster(r).splitBrain).toBe(active.length > 1);
    }
  });

  it(`S45 ${named('S45')}`, async () => {
    const r = await replayTrace(
      {
        networks: [{ name: 'net1', id: 'net1', network_type: 'vxlan', segmentation_id: 1 }],
        steps: [
          { op: 'ha_router_create', router: 'R1', hosts: ['h1', 'h2'] },
          {
            op: 'create_port',
            port: 'rp1',
            network: 'net1',
            device_owner: OWNER.haInterface,
            device_id: 'R1',
          },
          { op: 'router_interface_add', router: 'R1', port: 'rp1' },
          { op: 'delete_port', port: 'rp1' },
          { op: 'ha_state', router: 'R1', host: 'h1', state: 'active' },
        ],
      },
      { strategy: 'master-binding' },
    );
    expect((await r.store.getRouter('R1'))?.states.h1?.state).toBe('active');
    expect(await r.store.getPort('rp1', 'net1')).toMatchObject({ deleted: true });
  });
});
