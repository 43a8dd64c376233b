import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import { generateWorkload } from '../support/workload.js';

describe('at-least-once delivery', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'dup' });
  });
  afterAll(() => h?.stop());

  it('gives the same final agent state when every inbound message is delivered twice', async () => {
    const workload = generateWorkload({ seed: 5, mutations: 60 });
    await h.send(workload, 2);
    await h.converge(workload);
    expect(h.diff(workload)).toEqual([]);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    // Nothing applied twice made an agent see a gap: every duplicate was stale or ignored by version.
    expect(h.agents.received.gaps).toBe(0);
  });
});
