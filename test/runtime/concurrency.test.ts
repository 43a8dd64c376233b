import { describe, expect, it } from 'vitest';
import { startHarness } from '../support/runtime-harness.js';
import { generateWorkload } from '../support/workload.js';

describe('concurrency', () => {
  it('loses no update with three pollers (function instances) per queue', async () => {
    const h = await startHarness({ label: 'conc', concurrency: 3 });
    try {
      const workload = generateWorkload({ seed: 13, networks: 4, hosts: 8, ports: 40, mutations: 120 });
      await h.send(workload);
      await h.converge(workload, 180_000);
      expect(h.diff(workload)).toEqual([]);
      expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
      const busy = new Set(h.invocations.map((i) => i.fn));
      expect(busy.size).toBe(3);
    } finally {
      await h.stop();
    }
  });

  it('loses no update when the same history is also delivered twice and with crashes', async () => {
    const h = await startHarness({
      label: 'conc-crash',
      concurrency: 2,
      env: { L2POP_FAULTS: 'after-commit=0.1,mid-fanout=0.1,after-fanout=0.1', L2POP_FAULT_SEED: '3' },
    });
    try {
      const workload = generateWorkload({ seed: 77, networks: 3, hosts: 7, ports: 30, mutations: 80 });
      await h.send(workload, 2);
      await h.converge(workload, 180_000);
      expect(h.diff(workload)).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});
