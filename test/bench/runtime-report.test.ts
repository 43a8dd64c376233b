import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../scripts/build.mjs';
import { type BenchServers, startBenchServers } from '../../tools/bench/runtime/bench-stack.js';
import { type CoalescingResult, measureCoalescing } from '../../tools/bench/runtime/measure-coalescing.js';
import { type RuntimeReport, reportMarkdown } from '../../tools/bench/runtime/report.js';

/**
 * The events/s harness of `npm run bench:runtime -- --report` on a small network, through the
 * bundled port-events function on DynamoDB Local and fauxqs: the two modes alternate in slices
 * and still count every event, commit and message once.
 */
describe('runtime report harness (npm run bench:runtime -- --report)', () => {
  let servers: BenchServers;
  let result: CoalescingResult;
  beforeAll(async () => {
    await buildFunctions();
    servers = await startBenchServers();
    result = await measureCoalescing(
      servers,
      { hosts: 4, ports: 20, singleEvents: 6, coalescedEvents: 40, rounds: 2 },
      () => {},
    );
  }, 300_000);
  afterAll(() => servers?.stop());

  it('one event per commit and batches of 10, alternating, each event committed and sent once', () => {
    const view = (m: CoalescingResult['single']) => [m.batchSize, m.events, m.commits, m.messages];
    // every event moves a port's IP: each of the 4 members gets the new version (the 3 other
    // hosts the change, the port's own host an empty version step, docs/data-model.md); a batch of
    // 10 gives each of the 4 one command
    expect(view(result.single)).toEqual([1, 6, 6, 24]);
    expect(view(result.coalesced)).toEqual([10, 40, 4, 16]);
    expect(result.coalesced.eventsPerCommit).toBe(10);
    expect(result.single.commit.dynamoRequests).toBe(3);
    expect(result.coalesced.commit.dynamoRequests).toBe(3);
    expect(result.speedup).toBeCloseTo(result.coalesced.eventsPerSecond / result.single.eventsPerSecond);
  });

  it('prints one throughput row per host count and the ratio', () => {
    const report: RuntimeReport = {
      plan: { ports: 20, costHosts: [], events: [], rounds: 2 },
      costs: [],
      throughput: [result],
      summary: { steady: [], ha: [], coalescingRatio: result.speedup },
    };
    const text = reportMarkdown(report);
    expect(text).toMatch(
      /^\| 4 \| [\d.]+ \| 4\.0 \| [\d.]+ \| 10\.0 \| 0\.4 \| [\d.]+x \| 3, \d+ \/ 3, \d+ \|$/m,
    );
    expect(text).toContain(`coalescing ratio at 500 hosts`);
  });
});
