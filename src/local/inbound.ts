import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InboundEvent } from '../contracts/events.js';

/** The inbound queues of infra/resources.yml, by logical id. */
export const INBOUND_QUEUES = ['PortEventsQueue', 'HaEventsQueue', 'AgentEventsQueue'] as const;
export type InboundQueueId = (typeof INBOUND_QUEUES)[number];

/**
 * Which queue and FIFO group an event belongs to (the order the controller needs): port events
 * per network, HA events per router, flag changes in one group of the HA queue, agent events per host.
 */
export function routeEvent(event: InboundEvent): { queue: InboundQueueId; group: string } {
  switch (event.type) {
    case 'port.upsert':
      return { queue: 'PortEventsQueue', group: event.port.networkId };
    case 'port.delete':
      return { queue: 'PortEventsQueue', group: event.networkId };
    case 'ha.state':
    case 'ha.schedule':
      return { queue: 'HaEventsQueue', group: event.routerId };
    case 'flags.set':
      return { queue: 'HaEventsQueue', group: 'flags' };
    case 'agent.report':
    case 'agent.resync':
      return { queue: 'AgentEventsQueue', group: event.host };
  }
}

export type QueueUrls = Readonly<Record<InboundQueueId, string>>;

/**
 * Sends events in order, batched by 10 per queue (order is kept within each queue, which is all
 * FIFO promises). Every message gets its own deduplication id: the same event sent twice on
 * purpose is two messages. Returns how many went to each queue.
 */
export async function sendEvents(
  sqs: SQSClient,
  urls: QueueUrls,
  events: readonly InboundEvent[],
): Promise<Record<InboundQueueId, number>> {
  const counts: Record<InboundQueueId, number> = {
    PortEventsQueue: 0,
    HaEventsQueue: 0,
    AgentEventsQueue: 0,
  };
  for (const queue of INBOUND_QUEUES) {
    const entries = events
      .map((event) => ({ event, route: routeEvent(event) }))
      .filter((x) => x.route.queue === queue)
      .map((x, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(x.event),
        MessageGroupId: x.route.group,
        MessageDeduplicationId: randomUUID(),
      }));
    for (let i = 0; i < entries.length; i += 10) {
      const batch = entries.slice(i, i + 10).map((e, j) => ({ ...e, Id: String(j) }));
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: urls[queue], Entries: batch }));
      if (res.Failed?.length) {
        const f = res.Failed[0];
        throw new Error(`SendMessageBatch to ${queue}: ${f?.Code}: ${f?.Message}`);
      }
      counts[queue] += batch.length;
    }
  }
  return counts;
}

/** Messages in a queue, visible or in flight (approximate, as SQS reports them; exact on fauxqs). */
export async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const a = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
