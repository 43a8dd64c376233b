import { randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliIo } from './cli-support.js';
import { addTargetOptions, resolveTarget, type TargetOptions } from './stack-target.js';

const QUEUES = {
  'port-events': 'PortEventsQueue',
  'ha-events': 'HaEventsQueue',
  'agent-events': 'AgentEventsQueue',
} as const;
type QueueName = keyof typeof QUEUES;

const parseQueue = (v: string): QueueName => {
  if (!(v in QUEUES)) throw new InvalidArgumentError(`expected one of ${Object.keys(QUEUES).join(', ')}`);
  return v as QueueName;
};

export interface RedriveResult {
  /** Moved messages, in the order they were sent back: SQS message id (in the DLQ) and FIFO group. */
  readonly moved: readonly { readonly messageId: string; readonly group: string }[];
}

/**
 * Moves every message of a DLQ back to its inbound queue, in the DLQ's order: each is sent with
 * its FIFO group, body and message attributes (its `correlation-id` among them), then deleted from
 * the DLQ. A fresh deduplication id: the original one may still be inside SQS's 5-minute
 * deduplication window, which would drop the message silently. It works the same on AWS and on a
 * local SQS server (fauxqs has no message move task); a crash between send and delete leaves a
 * copy in the DLQ, which a second run sends again: facts carry revisions, so a replayed event is
 * stale, never harmful.
 */
export async function redrive(sqs: SQSClient, dlqUrl: string, queueUrl: string): Promise<RedriveResult> {
  const moved: { messageId: string; group: string }[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['MessageGroupId'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) return { moved };
    for (const m of messages) {
      const group = m.Attributes?.MessageGroupId ?? 'redrive';
      const attributes: Record<string, MessageAttributeValue> = {};
      for (const [k, v] of Object.entries(m.MessageAttributes ?? {}))
        if (v.DataType && v.StringValue !== undefined)
          attributes[k] = { DataType: v.DataType, StringValue: v.StringValue };
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: m.Body ?? '',
          MessageGroupId: group,
          MessageDeduplicationId: randomUUID(),
          ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle ?? '' }));
      moved.push({ messageId: m.MessageId ?? '', group });
    }
  }
}

/** `l2pop redrive QUEUE`: the DLQ's messages back to their inbound queue, in order. */
export function addRedriveCommand(program: Command, io: CliIo): void {
  addTargetOptions(
    program
      .command('redrive')
      .description(
        'Move the messages of an inbound queue\u2019s dead-letter queue back to it, in order, with their FIFO ' +
          'group and correlation id (fix the cause first: docs/operations.md "Redrive a DLQ")',
      )
      .argument('<queue>', `the inbound queue: ${Object.keys(QUEUES).join(', ')}`, parseQueue),
  ).action(async (queue: QueueName, o: TargetOptions) => {
    const target = await resolveTarget(o);
    try {
      const outputs = await target.outputs();
      const id = QUEUES[queue];
      const r = await redrive(target.clients.sqs, outputs.dlqs[id], outputs.queues[id]);
      for (const m of r.moved) io.out(`moved ${m.messageId} (group ${m.group})\n`);
      io.out(`redrove ${r.moved.length} messages from the ${queue} DLQ\n`);
    } finally {
      target.close();
    }
  });
}
