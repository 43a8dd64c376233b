import { describe, expect, it } from 'vitest';
import { delta, FLOOD, leave, NET, NODE1, NODE2, ROUTER, snapshot } from '../agent/fixtures.js';
import { referenceAgent, simulatedAgent } from './agents-under-test.js';

/**
 * Each scenario runs on the reference agent and on a strict simulated agent with one expectation:
 * before the strict agents (tools/sim/strict-agents.ts), the simulated side accepted every command
 * the reference agent refuses or waits on here, and held entries it drops.
 */

/** A device that floods to `vtep` and holds the router's MAC behind it. */
const routerBehind = (vtep: string) => ({
  fdb: [`00:00:00:00:00:00 ${vtep}`, `fa:16:3e:00:00:01 ${vtep}`],
  neigh: ['192.0.2.1 fa:16:3e:00:00:01'],
});

const START = { [NODE1]: [FLOOD, ROUTER], [NODE2]: [FLOOD] };

/** A command of `NET` rewritten for another network and/or segment. */
function as(body: string, networkId: string, vni: number): string {
  const c = JSON.parse(body);
  const fix = (fdb: Record<string, { segment_id: number }>) => {
    const inner = fdb[NET];
    if (!inner) return fdb;
    inner.segment_id = vni;
    return { [networkId]: inner };
  };
  c.networkId = networkId;
  if (c.segment) c.segment.segmentId = vni;
  if (c.fdb_entries) c.fdb_entries = fix(c.fdb_entries);
  for (const p of c.payloads ?? []) {
    if (p.fdb_entries.chg_ip) p.fdb_entries.chg_ip = { [networkId]: p.fdb_entries.chg_ip[NET] };
    else p.fdb_entries = fix(p.fdb_entries);
  }
  return JSON.stringify(c);
}

describe.each([
  ['the reference agent', referenceAgent],
  ['a strict simulated agent', simulatedAgent],
])('%s', (_name, make) => {
  describe('one network per VNI', () => {
    it('refuses a second network on a held VNI, and asks for it again once the first one left', async () => {
      const a = make();
      expect(await a.handle(snapshot(1, START))).toEqual({ kind: 'applied' });
      expect(await a.handle(as(snapshot(1, { [NODE2]: [FLOOD, ROUTER] }), 'net-b', 100))).toEqual({
        kind: 'rejected',
        code: 'segment_mismatch',
      });
      expect(a.resyncs()).toEqual([]);
      expect(a.version('net-b')).toBe(0);
      expect(await a.handle(leave(2))).toEqual({ kind: 'applied' });
      expect(a.resyncs()).toEqual(['net-b']);
      expect(await a.handle(as(snapshot(1, { [NODE2]: [FLOOD, ROUTER] }), 'net-b', 100))).toEqual({
        kind: 'applied',
      });
      expect(a.device(100)).toEqual(routerBehind(NODE2));
    });

    it('refuses a delta that would bring a second network onto a held VNI', async () => {
      const a = make();
      await a.handle(snapshot(1, START));
      expect(await a.handle(as(delta(1, 0, { add: { [NODE2]: [ROUTER] } }), 'net-b', 100))).toEqual({
        kind: 'rejected',
        code: 'segment_mismatch',
      });
      expect(a.version('net-b')).toBe(0);
    });

    it('frees the old VNI when a snapshot moves the network to another one', async () => {
      const a = make();
      await a.handle(snapshot(1, START));
      await a.handle(as(snapshot(1, { [NODE2]: [FLOOD] }), 'net-b', 100));
      expect(await a.handle(as(snapshot(2, START), NET, 200))).toEqual({ kind: 'applied' });
      expect(a.resyncs()).toEqual(['net-b']);
      expect(await a.handle(as(snapshot(1, { [NODE2]: [FLOOD] }), 'net-b', 100))).toEqual({
        kind: 'applied',
      });
      expect(a.device(100).fdb).toEqual([`00:00:00:00:00:00 ${NODE2}`]);
    });

    it('treats a delta for another VNI than the one held as a gap, and claims nothing with it', async () => {
      const a = make();
      await a.handle(snapshot(1, START));
      expect(await a.handle(as(delta(2, 1, { add: { [NODE2]: [ROUTER] } }), NET, 200))).toEqual({
        kind: 'gap',
      });
      expect(a.resyncs()).toEqual([NET]);
      expect(await a.handle(as(snapshot(1, START), 'net-b', 200))).toEqual({ kind: 'applied' });
    });
  });

  describe('a command refused whole', () => {
    it('for a held network makes it dirty: it asks for a snapshot and takes no delta until one', async () => {
      const a = make();
      await a.handle(snapshot(1, START));
      const bad = JSON.parse(delta(2, 1, { add: { [NODE2]: [ROUTER] } }));
      bad.payloads[0].fdb_entries[NET].segment_id = 101;
      expect(await a.handle(JSON.stringify(bad))).toEqual({ kind: 'rejected', code: 'segment_mismatch' });
      expect(a.resyncs()).toEqual([NET]);
      expect(await a.handle(delta(2, 1, { add: { [NODE2]: [ROUTER] } }))).toEqual({ kind: 'gap' });
      expect(await a.handle(snapshot(1, START))).toEqual({ kind: 'applied' });
      expect(await a.handle(delta(2, 1, { add: { [NODE2]: [['fa:16:3e:00:00:02', '192.0.2.2']] } }))).toEqual(
        {
          kind: 'applied',
        },
      );
    });

    it('for a network it does not hold asks for nothing', async () => {
      const a = make();
      expect(await a.handle('{"v":1,"kind":"delta","networkId":"other"}')).toMatchObject({
        kind: 'rejected',
      });
      expect(a.resyncs()).toEqual([]);
    });
  });

  describe('snapshot parts', () => {
    it('refuses parts of one version that disagree on the count', async () => {
      const a = make();
      expect(await a.handle(snapshot(5, { [NODE1]: [FLOOD] }, { index: 0, count: 2 }))).toEqual({
        kind: 'buffered',
      });
      expect(await a.handle(snapshot(5, { [NODE2]: [FLOOD] }, { index: 1, count: 3 }))).toEqual({
        kind: 'rejected',
        code: 'invalid_snapshot_part',
      });
    });

    it('refuses a snapshot in more parts than it assembles', async () => {
      const a = make();
      expect(await a.handle(snapshot(5, { [NODE1]: [FLOOD] }, { index: 0, count: 65 }))).toEqual({
        kind: 'rejected',
        code: 'limit_exceeded',
      });
    });

    it('drops a part of an older version than the one it assembles', async () => {
      const a = make();
      await a.handle(snapshot(6, { [NODE2]: [FLOOD] }, { index: 0, count: 2 }));
      expect(await a.handle(snapshot(5, { [NODE1]: [FLOOD, ROUTER] }, { index: 0, count: 2 }))).toEqual({
        kind: 'buffered',
      });
      expect(await a.handle(snapshot(6, { [NODE1]: [FLOOD] }, { index: 1, count: 2 }))).toEqual({
        kind: 'applied',
      });
      expect(a.version(NET)).toBe(6);
      expect(a.device(100).fdb).toEqual([`00:00:00:00:00:00 ${NODE1}`, `00:00:00:00:00:00 ${NODE2}`]);
    });

    it('refuses a MAC that an earlier part put behind another VTEP', async () => {
      const a = make();
      await a.handle(snapshot(5, { [NODE1]: [FLOOD, ROUTER] }, { index: 0, count: 2 }));
      expect(await a.handle(snapshot(5, { [NODE2]: [FLOOD, ROUTER] }, { index: 1, count: 2 }))).toEqual({
        kind: 'applied',
      });
      expect(a.device(100).fdb).toEqual([
        `00:00:00:00:00:00 ${NODE1}`,
        `00:00:00:00:00:00 ${NODE2}`,
        `fa:16:3e:00:00:01 ${NODE1}`,
      ]);
    });
  });

  describe('entries', () => {
    it('holds canonical values, and refuses one MAC behind two VTEPs once normalised', async () => {
      const a = make();
      expect(
        await a.handle(
          snapshot(1, {
            [NODE1]: [FLOOD, ['FA:16:3E:00:00:01', '192.0.2.1']],
            [NODE2]: [['fa:16:3e:00:00:01', '192.0.2.9']],
          }),
        ),
      ).toEqual({ kind: 'applied' });
      expect(a.device(100)).toEqual(routerBehind(NODE1));
    });

    it('applies a delta minus the entries it refuses, and holds its version', async () => {
      const a = make();
      await a.handle(snapshot(1, START));
      expect(
        await a.handle(
          delta(2, 1, {
            add: {
              [NODE2]: [
                ['fa:16:3e:00:00:02', '127.0.0.1'],
                ['fa:16:3e:00:00:03', '192.0.2.3'],
              ],
            },
          }),
        ),
      ).toEqual({ kind: 'applied' });
      expect(a.version(NET)).toBe(2);
      expect(a.device(100).fdb).toContain(`fa:16:3e:00:00:03 ${NODE2}`);
      expect(a.device(100).fdb).not.toContain(`fa:16:3e:00:00:02 ${NODE2}`);
    });
  });
});
