import { createHash } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { HaStateEvent } from '../src/contracts/events.js';

/**
 * Sends a validated `ha.state` event to the HA queue. On the FIFO queue the message group is the
 * router (HA events are ordered per router, docs/crash-safety.md), and the deduplication id is the
 * body's hash: a hook that runs twice for one transition sends one fact.
 */
export async function sendHaState(client: SQSClient, queueUrl: string, event: HaStateEvent): Promise<void> {
  const body = JSON.stringify(event);
  const fifo = queueUrl.endsWith('.fifo');
  await client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      ...(fifo
        ? {
            MessageGroupId: event.routerId,
            MessageDeduplicationId: createHash('sha256').update(body).digest('hex'),
          }
        : {}),
    }),
  );
}
