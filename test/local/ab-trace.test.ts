import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AbSummary } from '../../tools/sim/ab-summary.js';
import { l2pop } from './cli-process.js';

describe('l2pop ab TRACE', () => {
  it('runs a Neutron oracle trace under each strategy on the local stack and finds its failover and failback', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'l2pop-ab-'));
    try {
      const trace = 'test/fixtures/neutron-examples/07_ha_router_failover.json';
      const r = await l2pop(
        ['ab', trace, '--strategies', 'tunnel,master-binding', '--out', dir, '--json', '--quiet'],
        180_000,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const printed = JSON.parse(r.stdout) as {
        verdict: { pick: string | null; reason: string; measured: boolean };
        summary: AbSummary;
        files: { html: string };
      };
      const written = JSON.parse(await readFile(path.join(dir, 'l2pop-ab.json'), 'utf8')) as {
        summary: AbSummary;
      };
      expect(written.summary).toEqual(printed.summary);
      const [tunnel, mb] = printed.summary.rows;
      expect(printed.summary.converged).toBe(true);
      expect(tunnel?.failovers.map((f) => [f.from, f.to])).toEqual([
        ['net1host', 'net2host'],
        ['net2host', 'net1host'],
      ]);
      // tunnel: every host learns, nothing suppresses ARP: VRRP alone, no command on failover
      for (const f of tunnel?.failovers ?? []) {
        expect(f.convergenceMs).toBeNull();
        expect(f.live.never).toBe(0);
        expect(f.live.worstMs).toBeLessThan(f.takeoverMs + 50);
      }
      // the answer a script gates on: tunnel, back at VRRP time after both failovers
      expect(printed.verdict).toMatchObject({ measured: true, pick: 'tunnel' });
      expect(printed.verdict.reason).toMatch(
        /^every VM is back at VRRP time, without waiting for the controller, in 2 of 2 failovers/,
      );
      // master-binding: the controller moves the entries, so the outage is longer than VRRP
      for (const f of mb?.failovers ?? []) {
        expect(f.convergenceMs).toBeGreaterThan(0);
        expect(f.live.worstMs).toBeGreaterThan(f.takeoverMs);
        expect(f.controllerDown.never).toBeGreaterThan(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
