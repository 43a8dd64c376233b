import { randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { AgentTransport, ReceivedCommand } from './agent-transport.js';

/** The controller's message attribute (src/adapters/aws/dynamo-receipt-store.ts); the agent ships alone. */
const CORRELATION_ATTRIBUTE = 'correlation-id';

export interface SqsTransportOptions {
  readonly client: SQSClient;
  /**
   * This agent's own command queue (FIFO, one message group per network): its URL, or its name.
   * The controller creates the queue on the agent's first report, so a name is resolved on the
   * first receive, retrying every `resolveRetryMs` until the queue exists.
   */
  readonly commandQueue: { readonly url: string } | { readonly name: string };
  /** Where `agent.report` / `agent.resync` go. */
  readonly eventQueueUrl: string;
  /** The message group of this agent's events on a FIFO events queue. */
  readonly host: string;
  /** Long-poll wait; 20 s is SQS's maximum and the cheapest. */
  readonly waitTimeSeconds?: number;
  readonly resolveRetryMs?: number;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'AbortedError');
}

function isMissingQueue(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name ?? '';
  return name === 'QueueDoesNotExist' || name.endsWith('NonExistentQueue');
}

/** GetQueueUrl until the queue exists; null when `signal` aborts first. */
async function resolveQueueUrl(
  client: SQSClient,
  QueueName: string,
  signal: AbortSignal,
  retryMs: number,
): Promise<string | null> {
  while (!signal.aborted) {
    try {
      const out = await client.send(new GetQueueUrlCommand({ QueueName }), { abortSignal: signal });
      if (out.QueueUrl) return out.QueueUrl;
    } catch (err) {
      if (signal.aborted || isAbort(err)) return null;
      if (!isMissingQueue(err)) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
  return null;
}

/**
 * The agent's queues on SQS. Receive is a long poll of up to 10 messages; in a FIFO queue SQS
 * hands out messages of one group in order and holds back the rest of that group while any is in
 * flight, which is what lets the agent apply per-network versions in order. Not deleting a message
 * makes it visible again after the queue's visibility timeout (the retry of a transient failure).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
 */
export function createSqsTransport(options: SqsTransportOptions): AgentTransport {
  const { client, eventQueueUrl, host } = options;
  const fifo = eventQueueUrl.endsWith('.fifo');
  const queue = options.commandQueue;
  let commandQueueUrl = 'url' in queue ? queue.url : null;
  return {
    async receive(signal) {
      if (signal.aborted) return [];
      commandQueueUrl ??=
        'name' in queue
          ? await resolveQueueUrl(client, queue.name, signal, options.resolveRetryMs ?? 200)
          : null;
      if (commandQueueUrl === null) return [];
      try {
        const out = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: commandQueueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: [CORRELATION_ATTRIBUTE],
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
          }),
          { abortSignal: signal },
        );
        return (out.Messages ?? []).flatMap((m): ReceivedCommand[] =>
          m.ReceiptHandle === undefined
            ? []
            : [
                {
                  body: m.Body ?? '',
                  receipt: m.ReceiptHandle,
                  correlationId: m.MessageAttributes?.[CORRELATION_ATTRIBUTE]?.StringValue,
                },
              ],
        );
      } catch (err) {
        if (signal.aborted || isAbort(err)) return [];
        throw err;
      }
    },
    async ack(message) {
      if (commandQueueUrl === null) throw new Error('ack before the command queue was resolved');
      await client.send(
        new DeleteMessageCommand({ QueueUrl: commandQueueUrl, ReceiptHandle: message.receipt }),
      );
    },
    async send(event) {
      // A fresh deduplication id: two resync requests for one network minutes apart are both meant.
      await client.send(
        new SendMessageCommand({
          QueueUrl: eventQueueUrl,
          MessageBody: JSON.stringify(event),
          ...(fifo ? { MessageGroupId: host, MessageDeduplicationId: randomUUID() } : {}),
        }),
      );
    },
    async sendBatch(events) {
      // Entries of one FIFO group keep their order (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
      for (let i = 0; i < events.length; i += 10) {
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: eventQueueUrl,
            Entries: events.slice(i, i + 10).map((event, j) => ({
              Id: String(j),
              MessageBody: JSON.stringify(event),
              ...(fifo ? { MessageGroupId: host, MessageDeduplicationId: randomUUID() } : {}),
            })),
          }),
        );
        const failed = out.Failed ?? [];
        if (failed.length > 0)
          throw new Error(
            `SendMessageBatch: ${failed.length} entries failed (${failed[0]?.Code ?? 'unknown'})`,
          );
      }
    },
  };
}
