import { describe, expect, it } from 'vitest';
import { runAuditSoak } from '../../tools/sim/audit-soak.js';

/**
 * The drift audit's no-false-positive soak, short (the 10-minute run is `npm run soak:audit`,
 * docs/drift-audit.md): 30 s of valid churn on the local stack while 9 simulated agents audit
 * every 2 s. No audit may cause a repair, and every audit at the version last sent must equal the
 * full recompute of the controller's facts.
 */
describe('drift audit under valid churn (short soak)', () => {
  it('raises no drift and sends no repair in 30 s of ports, failovers and flag flips', async () => {
    const r = await runAuditSoak({ durationMs: 30_000, auditMs: 2000, churnMs: 300, seed: 7, log: () => {} });
    // the whole result on any failure: a soak's failure is only useful with its figures
    const all = JSON.stringify({ ...r, mismatches: r.mismatches.slice(0, 5) });
    expect(r.mismatches, all).toEqual([]);
    expect(r.repairCommands, all).toBe(0);
    expect(r.fleetErrors, all).toEqual([]);
    // it compared many audits, and every kind of churn happened
    expect(r.compared, all).toBeGreaterThan(50);
    expect(Object.keys(r.churnEvents).sort(), all).toEqual([
      'flags: flip r1',
      'ha: failover of r1',
      'port: boot a VM',
      'port: delete a VM',
      'port: move a VM',
      'port: renumber a VM',
    ]);
    expect(r.ok, all).toBe(true);
  }, 240_000);
});
