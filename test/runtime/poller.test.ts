import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoller, type SqsLambdaHandler, settleBatch } from '../../tools/local/poller.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

const rec = (id: string) => ({ messageId: id }) as SQSRecord;

describe('settleBatch (what the event source mapping deletes)', () => {
  const batch = [rec('a'), rec('b'), rec('c')];
  it('deletes everything on a plain return or an empty failure list', () => {
    expect(settleBatch(batch, undefined, true).delete).toHaveLength(3);
    expect(settleBatch(batch, { batchItemFailures: [] }, true).delete).toHaveLength(3);
  });
  it('keeps exactly the listed failures', () => {
    const s = settleBatch(batch, { batchItemFailures: [{ itemIdentifier: 'b' }] }, true);
    expect(s.delete.map((r) => r.messageId)).toEqual(['a', 'c']);
    expect(s.failed.map((r) => r.messageId)).toEqual(['b']);
  });
  it('fails the whole batch when a listed id is not in it', () => {
    expect(settleBatch(batch, { batchItemFailures: [{ itemIdentifier: 'zz' }] }, true).delete).toEqual([]);
  });
  it('ignores the response without ReportBatchItemFailures', () => {
    expect(settleBatch(batch, { batchItemFailures: [{ itemIdentifier: 'b' }] }, false).delete).toHaveLength(
      3,
    );
  });
});

describe('the poller on fauxqs', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack('poller');
  });
  afterAll(() => stack?.destroy());

  const run = async (
    queueId: string,
    handler: SqsLambdaHandler,
    until: () => boolean,
    timeoutMs = 20_000,
  ) => {
    const q = stack.resources.queues[queueId];
    if (!q) throw new Error(queueId);
    const poller = createPoller({
      sqs: stack.clients.sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      handler,
      functionName: 'f',
      waitTimeSeconds: 1,
      retryDelaySeconds: 0,
      timeoutMs: 2000,
    });
    poller.start();
    const deadline = Date.now() + timeoutMs;
    while (!until() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await poller.stop();
    return poller.stats;
  };
  const send = (queueId: string, body: string, group: string) =>
    stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.resources.queues[queueId]?.url,
        MessageBody: body,
        MessageGroupId: group,
      }),
    );

  it('builds the SQSEvent as AWS does and redelivers only the reported failures', async () => {
    const seen: SQSEvent[] = [];
    const done = new Set<string>();
    await send('PortEventsQueue', 'ok-1', 'g1');
    await send('PortEventsQueue', 'fail-once', 'g2');
    await send('PortEventsQueue', 'ok-2', 'g3');
    const handler: SqsLambdaHandler = async (event) => {
      seen.push(event);
      const failures = event.Records.filter(
        (r) => r.body === 'fail-once' && r.attributes.ApproximateReceiveCount === '1',
      );
      for (const r of event.Records) if (!failures.includes(r)) done.add(r.body);
      return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    await run('PortEventsQueue', handler, () => done.size === 3);
    expect([...done].sort()).toEqual(['fail-once', 'ok-1', 'ok-2']);
    const r = seen[0]?.Records[0] as SQSRecord;
    expect(r.eventSource).toBe('aws:sqs');
    expect(r.eventSourceARN).toBe(stack.resources.queues.PortEventsQueue?.arn);
    expect(r.awsRegion).toBe('us-east-1');
    expect(r.attributes.MessageGroupId).toMatch(/^g\d$/);
    expect(r.attributes.SequenceNumber).toBeDefined();
    expect(r.attributes.SentTimestamp).toBeDefined();
    const retried = seen.flatMap((e) => e.Records).filter((x) => x.body === 'fail-once');
    expect(retried.map((x) => x.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(seen.flatMap((e) => e.Records).filter((x) => x.body === 'ok-1')).toHaveLength(1);
  });

  it('deletes nothing when the handler throws or times out', async () => {
    await send('HaEventsQueue', 'a', 'g1');
    let calls = 0;
    const handler: SqsLambdaHandler = async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      if (calls === 2) await new Promise((r) => setTimeout(r, 2500));
      return { batchItemFailures: [] };
    };
    const stats = await run('HaEventsQueue', handler, () => calls >= 3);
    expect(calls).toBe(3);
    expect(stats.errors).toBe(2);
  });

  it('lets the queue redrive a message that always fails to its FIFO DLQ after maxReceiveCount', async () => {
    await send('AgentEventsQueue', 'poison', 'g1');
    await send('AgentEventsQueue', 'fine', 'g2');
    let poisonSeen = 0;
    let fine = 0;
    const handler: SqsLambdaHandler = async (event) => {
      const fail = event.Records.filter((r) => r.body === 'poison');
      poisonSeen += fail.length;
      fine += event.Records.length - fail.length;
      return { batchItemFailures: fail.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    const dlq = stack.resources.queues.AgentEventsDlq?.url;
    let inDlq = 0;
    await run('AgentEventsQueue', handler, () => poisonSeen >= 5, 30_000);
    // SQS moves a message to its DLQ on the receive attempt after its maxReceiveCount-th, and the
    // poller may stop before making one (a loaded machine did): make those attempts here, counting
    // any delivery of the poison message as one more receive.
    const source = stack.resources.queues.AgentEventsQueue?.url;
    for (let attempt = 0; attempt < 10 && inDlq === 0; attempt++) {
      const again = await stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: source, WaitTimeSeconds: 0, MaxNumberOfMessages: 10 }),
      );
      poisonSeen += (again.Messages ?? []).filter((m) => m.Body === 'poison').length;
      const got = await stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      inDlq += (got.Messages ?? []).filter((m) => m.Body === 'poison').length;
    }
    expect(poisonSeen).toBe(5);
    expect(fine).toBe(1);
    expect(inDlq).toBe(1);
  });
});
