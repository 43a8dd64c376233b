import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { countPortsReadFull, countPortsReadIncremental } from '../../tools/bench/core/count-ports-read.js';
import { buildCoreFixture, factsAround } from '../../tools/bench/core/fixture.js';
import { planPortEventFull, planPortEventIncremental } from '../../tools/bench/core/port-event.js';
import { runCoreBench } from '../../tools/bench/core/run-core-bench.js';

describe('core bench (npm run bench)', () => {
  it('reports medians, spreads and paired ratios for every size, estimating only the full runs over the cap', async () => {
    const result = await runCoreBench({
      sizes: [
        { hosts: 20, ports: 500 },
        { hosts: 20, ports: 4000 },
      ],
      rounds: 3,
      fullSamples: 3,
      fullBudgetMs: 1000,
      fullMaxViewEntries: 20 * 500,
      warmUpMs: 20,
      minSampleMs: 2,
    });
    expect(result.sizes.map((s) => [s.hosts, s.ports, s.full.measured])).toEqual([
      [20, 500, true],
      [20, 4000, false],
    ]);
    for (const s of result.sizes) {
      for (const t of [s.incrementalUsPerEvent.cpu, s.incrementalUsPerEvent.wall]) {
        expect(t.n).toBe(3);
        expect(0 < t.p10 && t.p10 <= t.median && t.median <= t.p90).toBe(true);
      }
      expect(s.portsRatio.cpu.n).toBe(3);
      expect(s.portsReadPerEvent).toBe(2);
      // every member of the 20-host network hears of the version (the port's host: the version step)
      expect(s.commandsPerEvent).toBe(20);
    }
    const [measured] = result.sizes;
    if (!measured?.full.measured) throw new Error('expected a measured full recompute');
    expect(measured.full.msPerEvent.cpu.n).toBe(3);
    // Paired sample by sample; ~2e-3 on an idle machine, so a 50x margin for a loaded one.
    expect(measured.full.ratio.cpu.p90).toBeLessThan(0.1);
  });

  it('reads only the changed port per steady-state event, at any size; the full recompute reads them all', async () => {
    const small = buildCoreFixture(20, 500, 8);
    const big = buildCoreFixture(20, 5000, 8);
    for (const fx of [small, big])
      for (const ev of fx.events) expect(await countPortsReadIncremental(fx, ev)).toBe(2);
    const [ev] = big.events;
    if (!ev) throw new Error('no event');
    expect(countPortsReadFull(big, ev)).toBe(5001);
  });

  it('plans the same commands by either path for every event kind it measures', async () => {
    const fx = buildCoreFixture(20, 500, 4);
    for (const ev of fx.events) {
      const inc = await planPortEventIncremental(fx, ev);
      const full = planPortEventFull(fx, factsAround(fx, ev));
      expect(inc.outbox?.commands.length).toBe(20);
      expect(isDeepStrictEqual(inc.outbox?.commands, full.outbox?.commands)).toBe(true);
    }
  });
});
