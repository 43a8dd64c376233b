import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFailoverConvergence } from '../../src/adapters/aws/dynamo-failover-convergence.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Per-failover convergence (`FailoverConvergenceMs`) on DynamoDB Local: the last affected agent's
 * report ends it, once, whatever the order of the reports and however often they are repeated.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('failover');
});
afterAll(() => stack?.destroy());

const SENT = 1_000_000;
const record = (
  networkId: string,
  version: number,
  hosts: string[],
  eventType = 'ha.state',
): OutboxRecord => ({
  networkId,
  version,
  key: String(version).padStart(12, '0'),
  commands: hosts.map((host) => ({
    host,
    command: { v: 1, kind: 'leave', networkId, version } as OutboxRecord['commands'][number]['command'],
  })),
  correlationId: `corr-${networkId}-${version}`,
  origin: { at: SENT, eventType, strategy: 'master-binding' },
});
const tracker = () =>
  createDynamoFailoverConvergence({ client: stack.clients.doc, tableName: stack.tableName });

describe('failover convergence', () => {
  it('ends with the last affected agent, measured to the latest apply, under duplicates and reordering', async () => {
    const f = tracker();
    // h1, h2, h1 again twice, and h2 twice: the affected hosts sent once per host.
    expect(await f.open(record('fc1', 7, ['h1', 'h2', 'h1', 'h3']))).toEqual({ superseded: false });
    // h3 reports an older version first (delivered late): it does not count.
    expect(await f.applied('h3', 'fc1', 6, SENT + 50)).toBeUndefined();
    // h2 applies last of all (at +900) but its report arrives first.
    expect(await f.applied('h2', 'fc1', 7, SENT + 900)).toBeUndefined();
    expect(await f.applied('h2', 'fc1', 7, SENT + 900)).toBeUndefined();
    // h1 reports a later version (it skipped a report of 7): that covers 7.
    expect(await f.applied('h1', 'fc1', 8, SENT + 300)).toBeUndefined();
    // h3's report of 7 is the last one: one value, to the latest apply (h2's), not h3's.
    expect(await f.applied('h3', 'fc1', 7, SENT + 400)).toEqual({
      networkId: 'fc1',
      version: 7,
      strategy: 'master-binding',
      correlationId: 'corr-fc1-7',
      hosts: 3,
      ms: 900,
    });
    // Duplicates of any report after that give nothing more.
    expect(await f.applied('h3', 'fc1', 7, SENT + 400)).toBeUndefined();
    expect(await f.applied('h1', 'fc1', 8, SENT + 300)).toBeUndefined();
  });

  it('is not reset by re-publishing the same or an older version', async () => {
    const f = tracker();
    await f.open(record('fc2', 3, ['h1', 'h2']));
    expect(await f.applied('h1', 'fc2', 3, SENT + 10)).toBeUndefined();
    // A crash between publish and delete: the record is published again. h1 stays counted.
    expect(await f.open(record('fc2', 3, ['h1', 'h2']))).toEqual({ superseded: false });
    expect(await f.open(record('fc2', 2, ['h1', 'h2']))).toEqual({ superseded: false });
    expect(await f.applied('h2', 'fc2', 3, SENT + 20)).toMatchObject({ version: 3, ms: 20, hosts: 2 });
  });

  it('counts a failover still waiting when the next one on the network starts as superseded', async () => {
    const f = tracker();
    await f.open(record('fc3', 1, ['h1', 'h2']));
    await f.applied('h1', 'fc3', 1, SENT + 10);
    expect(await f.open(record('fc3', 2, ['h1']))).toEqual({ superseded: true });
    // The new one waits for h1 again; the old version's reports no longer match.
    expect(await f.applied('h2', 'fc3', 1, SENT + 30)).toBeUndefined();
    expect(await f.applied('h1', 'fc3', 2, SENT + 40)).toMatchObject({ version: 2, ms: 40, hosts: 1 });
    // A converged failover is not superseded.
    expect(await f.open(record('fc3', 3, ['h1']))).toEqual({ superseded: false });
  });

  it('tracks only records an ha.state produced', async () => {
    const f = tracker();
    await f.open(record('fc4', 1, ['h1'], 'port.upsert'));
    expect(await f.applied('h1', 'fc4', 1, SENT + 10)).toBeUndefined();
  });
});
