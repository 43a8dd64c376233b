import { randomUUID } from 'node:crypto';
import {
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { InboundEvent } from '../../contracts/events.js';

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
    case 'network.rebuild':
      return { queue: 'PortEventsQueue', group: event.networkId };
    case 'ha.state':
    case 'ha.schedule':
      return { queue: 'HaEventsQueue', group: event.routerId };
    case 'flags.set':
      return { queue: 'HaEventsQueue', group: 'flags' };
    case 'agent.report':
    case 'agent.resync':
    case 'agent.applied':
    case 'agent.audit':
    case 'vip.claim':
      return { queue: 'AgentEventsQueue', group: event.host };
  }
}

export type QueueUrls = Readonly<Record<InboundQueueId, string>>;

/**
 * Sends events in order, batched by 10 per queue (order is kept within each queue, which is all
 * FIFO promises). Every message gets its own deduplication id: the same event sent twice on
 * purpose is two messages. Returns how many went to each queue.
 */
export interface SendOptions {
  /** Extra message attributes for the event at this index (correlation id, receipt request). */
  readonly attributes?: (index: number) => Record<string, MessageAttributeValue>;
  /** Told each event's SQS message id once it is sent. */
  readonly onSent?: (index: number, messageId: string) => void;
}

export async function sendEvents(
  sqs: SQSClient,
  urls: QueueUrls,
  events: readonly InboundEvent[],
  options: SendOptions = {},
): Promise<Record<InboundQueueId, number>> {
  const counts: Record<InboundQueueId, number> = {
    PortEventsQueue: 0,
    HaEventsQueue: 0,
    AgentEventsQueue: 0,
  };
  for (const queue of INBOUND_QUEUES) {
    const indexed = events
      .map((event, index) => ({ event, index, route: routeEvent(event) }))
      .filter((x) => x.route.queue === queue);
    const entries = indexed.map((x, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify(x.event),
      MessageGroupId: x.route.group,
      MessageDeduplicationId: randomUUID(),
      ...(options.attributes ? { MessageAttributes: options.attributes(x.index) } : {}),
    }));
    for (let i = 0; i < entries.length; i += 10) {
      const batch = entries.slice(i, i + 10).map((e, j) => ({ ...e, Id: String(j) }));
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: urls[queue], Entries: batch }));
      if (res.Failed?.length) {
        const f = res.Failed[0];
        throw new Error(`SendMessageBatch to ${queue}: ${f?.Code}: ${f?.Message}`);
      }
      for (const ok of res.Successful ?? [])
        options.onSent?.(indexed[i + Number(ok.Id)]?.index ?? -1, ok.MessageId ?? '');
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
