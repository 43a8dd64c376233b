import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startSqsLocal } from '../../tools/local/local-servers.js';
import { createQueue, fauxqsClient, sendToGroup } from '../support/fauxqs.js';

/**
 * `deliverFifoGroupsInBatches` (tools/local/fifo-group-batches.ts): fauxqs hands out several
 * messages of one FIFO group per receive, in the group's order, as SQS does, and keeps the group
 * locked until every one of them is deleted.
 */
describe('fauxqs with FIFO group batches', () => {
  let server: LocalServer;
  let client: SQSClient;
  let queue: string;

  beforeAll(async () => {
    server = await startSqsLocal({ fifoGroupBatches: true });
    client = fauxqsClient(server);
    queue = await createQueue(client, 'groups.fifo', { FifoQueue: 'true', VisibilityTimeout: '30' });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  const send = (group: string, body: string) => sendToGroup(client, queue, group, body, body);
  const receive = async (max = 10) =>
    (await client.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: max }))).Messages ??
    [];

  it('returns a group’s messages together and in order, and locks the group until all are deleted', async () => {
    for (const b of ['a1', 'a2', 'a3', 'a4']) await send('A', b);
    for (const b of ['b1', 'b2']) await send('B', b);
    const first = await receive();
    const bodies = first.map((m) => m.Body);
    expect([...bodies].sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
    expect(bodies.filter((b) => b?.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(bodies.filter((b) => b?.startsWith('b'))).toEqual(['b1', 'b2']);

    await send('A', 'a5');
    expect(await receive()).toEqual([]); // A is locked while a1-a4 are in flight
    for (const m of first.filter((m) => m.Body?.startsWith('a')).slice(0, 3))
      await client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: m.ReceiptHandle }));
    expect(await receive()).toEqual([]); // a4 still in flight
    const a4 = first.find((m) => m.Body === 'a4');
    await client.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: a4?.ReceiptHandle }));
    expect((await receive()).map((m) => m.Body)).toEqual(['a5']);
  });

  it('stops at MaxNumberOfMessages', async () => {
    for (const b of ['c1', 'c2', 'c3']) await send('C', b);
    expect((await receive(2)).map((m) => m.Body)).toEqual(['c1', 'c2']);
  });
});
