import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureFanout } from '../../tools/bench/fanout/measure-fanout.js';
import { type LocalServer, startSqsLocal } from '../../tools/local/local-servers.js';

describe('fan-out bench (npm run bench:fanout)', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startSqsLocal();
  });
  afterAll(() => server.stop());

  it('delivers every command to exactly its agent by all three designs, with calls per event N, 2 and ceil(N/100) (every member hears of every version: the shared delta and the version step of the port host)', async () => {
    const result = await measureFanout(server.endpoint, {
      sizes: [12, 150],
      events: 3,
      tag: 't',
      log: () => {},
    });
    const view = result.rows.map((r) => [
      r.hosts,
      r.design,
      r.apiCallsPerEvent,
      r.deliveredPerEvent,
      r.problems,
    ]);
    expect(view).toEqual([
      [12, 'a: SQS per agent', 12, 12, []],
      [12, 'b: topic per network', 2, 12, []],
      [12, 'c: topics of 100, PublishBatch', 1, 12, []],
      [150, 'a: SQS per agent', 150, 150, []],
      [150, 'b: topic per network', 2, 150, []],
      [150, 'c: topics of 100, PublishBatch', 2, 150, []],
    ]);
    expect(result.rows.every((r) => r.allDeliveredExactly && r.commandsPerEvent === r.hosts)).toBe(true);
  });
});
