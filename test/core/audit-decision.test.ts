import { describe, expect, it } from 'vitest';
import { type AuditPairRecord, decideAudit } from '../../src/core/audit-decision.js';
import { computeViewDigest } from '../../src/core/digest.js';

const want = computeViewDigest([{ kind: 'flood', vtep: '198.51.100.1' }]);
const other = computeViewDigest([{ kind: 'flood', vtep: '198.51.100.2' }]);
const input = (over: Partial<Parameters<typeof decideAudit>[1]> = {}) => ({
  reported: want,
  version: 5,
  readAt: 1000,
  now: 2000,
  desired: want,
  networkVersion: 5,
  changedAt: 5,
  ...over,
});

/** Runs audits in order from no record; returns each decision's result and whether it repaired. */
function run(inputs: Parameters<typeof decideAudit>[1][]): string[] {
  let prev: AuditPairRecord | undefined;
  const out: string[] = [];
  for (const i of inputs) {
    const d = decideAudit(prev, i);
    if (!d) {
      out.push('ignored');
      continue;
    }
    prev = d.record;
    out.push(`${d.record.result}${d.repair ? '+repair' : ''}${d.failing ? '+alarm' : ''}`);
  }
  return out;
}

describe('one audit of one host and network', () => {
  it('matches, and repairs a mismatch at the current version', () => {
    expect(run([input(), input({ readAt: 3000, now: 4000, reported: other })])).toEqual([
      'match',
      'drift+repair',
    ]);
  });

  it('ignores a duplicate and an audit read before the last one', () => {
    expect(run([input({ reported: other }), input({ reported: other }), input({ readAt: 999 })])).toEqual([
      'drift+repair',
      'ignored',
      'ignored',
    ]);
  });

  it('waits while the agent lags, and repairs a version that lags too long', () => {
    const lag = (readAt: number, version = 4) => input({ readAt, now: readAt, version, reported: other });
    expect(run([lag(1000), lag(2000), lag(3000)])).toEqual(['lagging', 'lagging', 'drift+repair']);
    // a lagging agent that moves on is in flight, not stuck
    expect(run([lag(1000, 3), lag(2000, 4), lag(3000, 4)])).toEqual(['lagging', 'lagging', 'lagging']);
  });

  it('does not count an audit read before the repair was sent', () => {
    expect(
      run([input({ reported: other, now: 5000 }), input({ reported: other, readAt: 4000, now: 6000 })]),
    ).toEqual(['drift+repair', 'repairing']);
  });

  it('stops repairing and alarms after three repairs in a row fail, until it matches again', () => {
    const bad = (t: number) => input({ reported: other, readAt: t, now: t });
    expect(run([bad(1), bad(2), bad(3), bad(4), bad(5), input({ readAt: 6, now: 6 }), bad(7)])).toEqual([
      'drift+repair',
      'drift+repair',
      'drift+repair',
      'repair-failing+alarm',
      'repair-failing+alarm',
      'match',
      'drift+repair',
    ]);
  });

  it('compares at once an agent not sent the latest versions when no view changed since its own', () => {
    expect(run([input({ version: 3, changedAt: 3, reported: other })])).toEqual(['drift+repair']);
    expect(run([input({ version: 3, changedAt: 4, reported: other })])).toEqual(['lagging']);
  });

  it('compares nothing without comparable sums, a version ahead, or membership', () => {
    expect(run([input({ networkVersion: null })])).toEqual(['unverifiable']);
    expect(run([input({ version: 6 })])).toEqual(['unverifiable']);
    expect(run([input({ desired: null })])).toEqual(['not-member']);
    // a network the agent left, held empty, is what a non-member should hold
    const empty = computeViewDigest([]);
    expect(run([input({ desired: null, reported: empty })])).toEqual(['match']);
  });
});
