import { describe, expect, it } from 'vitest';
import { startHarness } from '../support/runtime-harness.js';
import { generateWorkload } from '../support/workload.js';

/**
 * docs/crash-safety.md names the crash points. Each case kills invocations at one of them (the
 * handler throws, so the poller deletes nothing, like a Lambda that died) and lets SQS redeliver.
 */
const POINTS = [
  ['after-commit', 'facts, network state and outbox committed; nothing sent'],
  ['mid-fanout', 'some agents got their commands, others not'],
  ['after-fanout', 'every command sent; the outbox record and the message not yet deleted'],
  ['between-networks', 'one network committed and published, the next not yet committed'],
] as const;

describe('crash points: an invocation dies, SQS redelivers, the agents still converge', () => {
  it.each(POINTS)('%s (%s)', async (point) => {
    const h = await startHarness({
      label: `crash-${point}`,
      env: { L2POP_FAULTS: `${point}=0.35`, L2POP_FAULT_SEED: '11' },
    });
    try {
      const workload = generateWorkload({ seed: 21 });
      await h.send(workload);
      await h.converge(workload);
      expect(h.diff(workload)).toEqual([]);
      const crashes = h.invocations.filter(
        (i) => (i.outcome.error as Error | undefined)?.name === 'FaultInjectedError',
      );
      expect(crashes.length).toBeGreaterThan(0);
      const other = h.invocations.filter((i) => i.outcome.error !== undefined && !crashes.includes(i));
      expect(other).toEqual([]);
      expect(await h.depth(h.queue('port').url.replace('port-events', 'port-events-dlq'))).toBe(0);
    } finally {
      await h.stop();
    }
  });

  it('all four at once, on a longer history', async () => {
    const h = await startHarness({
      label: 'crash-all',
      env: {
        L2POP_FAULTS: 'after-commit=0.15,mid-fanout=0.15,after-fanout=0.15,between-networks=0.15',
        L2POP_FAULT_SEED: '5',
      },
    });
    try {
      const workload = generateWorkload({ seed: 33, mutations: 80 });
      await h.send(workload);
      await h.converge(workload);
      expect(h.diff(workload)).toEqual([]);
      expect(
        h.invocations.some((i) => (i.outcome.error as Error | undefined)?.name === 'FaultInjectedError'),
      ).toBe(true);
    } finally {
      await h.stop();
    }
  });
});
