import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redrive } from '../../src/cli/redrive-command.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/** `l2pop redrive` on fauxqs: a DLQ's messages go back to their queue in order, group and attributes kept. */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('redrive');
});
afterAll(() => stack?.destroy());

it('moves every DLQ message back in order, with its FIFO group and correlation id, and empties the DLQ', async () => {
  const { sqs } = stack.clients;
  const dlq = stack.resources.queues.PortEventsDlq?.url as string;
  const queue = stack.resources.queues.PortEventsQueue?.url as string;
  const sent = Array.from({ length: 13 }, (_, i) => ({
    body: `{"n":${i}}`,
    group: i % 2 ? 'net-a' : 'net-b',
  }));
  for (const [i, m] of sent.entries())
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: m.body,
        MessageGroupId: m.group,
        MessageDeduplicationId: randomUUID(),
        MessageAttributes: { 'correlation-id': { DataType: 'String', StringValue: `c${i}` } },
      }),
    );
  const r = await redrive(sqs, dlq, queue);
  expect(r.moved).toHaveLength(sent.length);
  expect(new Set(r.moved.map((m) => m.group))).toEqual(new Set(['net-a', 'net-b']));

  const back: { body: string; group: string; correlation: string }[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['MessageGroupId'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (!got.Messages?.length) break;
    for (const m of got.Messages)
      back.push({
        body: m.Body ?? '',
        group: m.Attributes?.MessageGroupId ?? '',
        correlation: m.MessageAttributes?.['correlation-id']?.StringValue ?? '',
      });
    // FIFO: a group's next message comes once this one is deleted
    for (const m of got.Messages)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: m.ReceiptHandle ?? '' }));
  }
  for (const group of ['net-a', 'net-b'])
    expect(back.filter((b) => b.group === group).map((b) => b.body)).toEqual(
      sent.filter((s) => s.group === group).map((s) => s.body),
    );
  for (const b of back) expect(b.correlation).toBe(`c${JSON.parse(b.body).n}`);
  // the DLQ is empty: a second run moves nothing
  expect((await redrive(sqs, dlq, queue)).moved).toEqual([]);
});
