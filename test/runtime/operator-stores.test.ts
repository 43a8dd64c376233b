import { ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentQueueTags } from '../../src/adapters/aws/agent-queue-tags.js';
import { createAgentQueues } from '../../src/adapters/aws/agent-queues.js';
import { createDynamoAppliedStore } from '../../src/adapters/aws/dynamo-applied-store.js';
import { claimFlagsRevision, FlagsClaimedError } from '../../src/adapters/aws/dynamo-flags-claim.js';
import { createReceiptStore } from '../../src/adapters/aws/dynamo-receipt-store.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/** The operator-side adapters of `l2pop status`, `flags set` and `send`, on DynamoDB Local and fauxqs. */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('operator');
});
afterAll(() => stack?.destroy());

describe('agent.applied records', () => {
  it('keep the highest version per network within a boot, and start over with a new boot', async () => {
    const applied = createDynamoAppliedStore({ client: stack.clients.doc, tableName: stack.tableName });
    expect(await applied.record('h1', 'b1', { n1: 5, n2: 3 }, 1000)).toBe(2);
    // an older report of the same boot changes nothing
    expect(await applied.record('h1', 'b1', { n1: 4 }, 900)).toBe(0);
    expect(await applied.record('h1', 'b1', { n1: 6 }, 1100)).toBe(1);
    expect((await applied.list('h1')).sort((a, b) => a.networkId.localeCompare(b.networkId))).toEqual([
      { networkId: 'n1', version: 6, bootId: 'b1', at: 1100 },
      { networkId: 'n2', version: 3, bootId: 'b1', at: 1000 },
    ]);
    // a restarted agent holds less: its new boot's report wins
    expect(await applied.record('h1', 'b2', { n1: 2 }, 2000)).toBe(1);
    expect((await applied.list('h1')).find((a) => a.networkId === 'n1')).toEqual({
      networkId: 'n1',
      version: 2,
      bootId: 'b2',
      at: 2000,
    });
  });
});

describe('flags claims', () => {
  it('give the next revision to one operator only, until it is recorded or expires', async () => {
    let now = Date.parse('2026-12-07T00:00:00Z');
    const o = { client: stack.clients.doc, tableName: stack.tableName, now: () => now, expiryMs: 60_000 };
    expect(await claimFlagsRevision(o, 7, 'alice')).toBe(8);
    // bob read revision 7 too: the claim on 8 is alice's
    const lost = await claimFlagsRevision(o, 7, 'bob').catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(FlagsClaimedError);
    expect(lost).toMatchObject({ revision: 8, by: 'alice' });
    // once 8 is recorded, bob reads 8 and claims 9
    expect(await claimFlagsRevision(o, 8, 'bob')).toBe(9);
    // carol finds 9 claimed and not recorded; after the expiry it is hers
    await expect(claimFlagsRevision(o, 8, 'carol')).rejects.toBeInstanceOf(FlagsClaimedError);
    now += 61_000;
    expect(await claimFlagsRevision(o, 8, 'carol')).toBe(9);
  });
});

describe('receipts', () => {
  it('say what became of a message, with the rejection reason', async () => {
    const receipts = createReceiptStore({ client: stack.clients.doc, tableName: stack.tableName });
    expect(await receipts.get('m1')).toBeUndefined();
    await receipts.record({
      messageId: 'm1',
      outcome: 'rejected',
      eventType: 'port.upsert',
      correlationId: 'c1',
      code: 'invalid_message',
      reason: 'bad',
    });
    expect(await receipts.get('m1')).toMatchObject({
      outcome: 'rejected',
      code: 'invalid_message',
      reason: 'bad',
      correlationId: 'c1',
    });
  });
});

describe('agent queues', () => {
  it('are tagged with their stack, host and creation time when the controller creates them', async () => {
    const prefix = `${stack.tableName.replace(/-state$/, '')}-agent-cmd-`;
    const created = new Date('2026-12-07T00:00:00Z');
    const queues = createAgentQueues({
      sqs: stack.clients.sqs,
      prefix,
      tags: (host) => agentQueueTags(prefix, host, created),
    });
    const url = await queues.url('compute-7.example');
    const tags = await stack.clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    expect(tags.Tags).toEqual({
      'l2pop:stack': stack.tableName.replace(/-state$/, ''),
      'l2pop:host': 'compute-7.example',
      'l2pop:created': '2026-12-07T00:00:00.000Z',
    });
  });
});
