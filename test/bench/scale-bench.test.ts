import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchServers, startBenchServers } from '../../tools/bench/runtime/bench-stack.js';
import { measureScale } from '../../tools/bench/scale/measure-scale.js';

/** Starts its own DynamoDB Local and fauxqs, as `npm run bench:scale` does. */
describe('scale bench (npm run bench:scale)', () => {
  let servers: BenchServers;
  beforeAll(async () => {
    servers = await startBenchServers();
  });
  afterAll(() => servers.stop());

  it('seeds both fleets item for item and finds the same steady-state cost on the larger one', async () => {
    const { fleets, rows } = await measureScale(servers, {
      networks: 30,
      rounds: 2,
      concurrency: 4,
      log: () => {},
    });
    // Per network: its state and hosts items, 10 agent items, 10 presence items, 3 items per port.
    expect(fleets.map((f) => [f.networks, f.agents, f.ports, f.itemsWritten])).toEqual([
      [10, 10, 1000, 3220],
      [30, 30, 3000, 9660],
    ]);
    const events = [...new Set(rows.map((r) => r.event))];
    expect(events).toHaveLength(4);
    for (const event of events) {
      const [small, large] = ['scale-1k', 'scale-30'].map((f) =>
        rows.find((r) => r.fleet === f && r.event === event),
      );
      const cost = (r: typeof small) => [
        r?.dynamoRequestsTotal,
        r?.readUnits,
        r?.writeUnits,
        r?.sqsCalls,
        r?.steady,
      ];
      expect(cost(large), event).toEqual(cost(small));
      expect(small?.sqsCalls, event).toBeGreaterThan(0);
    }
  });
});
