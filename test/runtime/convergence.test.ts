import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import { generateWorkload } from '../support/workload.js';

describe('the local stack (bundled functions behind the poller, DynamoDB Local, fauxqs)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'converge' });
  });
  afterAll(() => h?.stop());

  it('converges every agent to the desired state of a mixed history', async () => {
    const workload = generateWorkload({ seed: 7 });
    await h.send(workload);
    await h.converge(workload);
    expect(h.diff(workload)).toEqual([]);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
  });
});
