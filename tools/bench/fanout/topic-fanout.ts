import { createHash } from 'node:crypto';
import {
  CreateTopicCommand,
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  PublishCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CORRELATION_ATTRIBUTE, ORIGIN_ATTRIBUTE } from '../../../src/adapters/aws/dynamo-receipt-store.js';
import type { OutboxRecord } from '../../../src/app/ports.js';

/** AWS: a FIFO topic takes at most 100 subscriptions (aws.amazon.com/sns/features). */
export const FIFO_TOPIC_SUBSCRIPTIONS = 100;
/** PublishBatch: 10 entries a call. */
const BATCH_ENTRIES = 10;

/** The message attribute that names the hosts a message is for; each subscription filters on its host. */
export const HOSTS_ATTRIBUTE = 'l2pop_hosts';

/**
 * How the hosts a message is for are written, and how a subscription matches its own host:
 * - `array`: a String.Array attribute and an exact-match filter `{hosts: [host]}`. This is what
 *   AWS documents (a String.Array attribute matches if any element matches); fauxqs 2.4.1 compares
 *   the whole JSON text instead, so it never matches there;
 * - `wildcard`: a String `,h1,h2,` and a filter `{hosts: [{wildcard: '*,host,*'}]}`, which fauxqs
 *   matches; it stands in for `array` on fauxqs (same calls, same deliveries).
 */
export type HostFilter = 'array' | 'wildcard';

export function hostsAttribute(hosts: readonly string[], mode: HostFilter): MessageAttributeValue {
  return mode === 'array'
    ? { DataType: 'String.Array', StringValue: JSON.stringify(hosts) }
    : { DataType: 'String', StringValue: `,${hosts.join(',')},` };
}

export function hostFilterPolicy(host: string, mode: HostFilter): string {
  return JSON.stringify({ [HOSTS_ATTRIBUTE]: mode === 'array' ? [host] : [{ wildcard: `*,${host},*` }] });
}

export interface TopicUsage {
  /** Publish and PublishBatch calls. */
  calls: number;
  /** Published messages (a PublishBatch entry is billed as one publish). */
  publishes: number;
  /** Subscribe calls (the subscription lifecycle: one per present agent per topic). */
  subscribes: number;
}

/** One message per distinct command body, with the hosts it is for. */
export function groupByBody(record: OutboxRecord): { body: string; hosts: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const c of record.commands) {
    const body = JSON.stringify(c.command);
    groups.set(body, [...(groups.get(body) ?? []), c.host]);
  }
  return [...groups.entries()].map(([body, hosts]) => ({ body, hosts: hosts.sort() }));
}

function attributesOf(record: OutboxRecord, hosts: readonly string[], mode: HostFilter) {
  return {
    [HOSTS_ATTRIBUTE]: hostsAttribute(hosts, mode),
    ...(record.correlationId
      ? { [CORRELATION_ATTRIBUTE]: { DataType: 'String', StringValue: record.correlationId } }
      : {}),
    ...(record.origin
      ? { [ORIGIN_ATTRIBUTE]: { DataType: 'String', StringValue: JSON.stringify(record.origin) } }
      : {}),
  };
}

const dedupId = (record: OutboxRecord, topic: number, group: number) =>
  createHash('sha256').update(`${record.networkId}\n${record.key}\n${topic}\n${group}`).digest('hex');

/**
 * A network's FIFO topics: its present agents' queues are dealt over `ceil(hosts / perTopic)`
 * topics, each queue subscribed to one of them with raw delivery and a filter on its own host.
 * `perTopic` = hosts gives one topic per network (design b); 100 keeps every topic inside AWS's
 * FIFO limit (design c). MessageGroupId is the network id, as on the agent queues today.
 */
export async function createNetworkTopics(
  sns: SNSClient,
  o: {
    readonly name: string;
    readonly networkId: string;
    readonly queues: ReadonlyMap<string, string>;
    readonly perTopic: number;
    readonly mode: HostFilter;
  },
) {
  const hosts = [...o.queues.keys()].sort();
  const topicCount = Math.max(1, Math.ceil(hosts.length / o.perTopic));
  const topics: string[] = [];
  for (let t = 0; t < topicCount; t++) {
    const res = await sns.send(
      new CreateTopicCommand({
        Name: `${o.name}-${t}.fifo`,
        Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' },
      }),
    );
    if (!res.TopicArn) throw new Error(`CreateTopic ${o.name}-${t}.fifo returned no ARN`);
    topics.push(res.TopicArn);
  }
  const usage: TopicUsage = { calls: 0, publishes: 0, subscribes: 0 };
  const topicOf = new Map(hosts.map((h, i) => [h, i % topicCount]));
  for (const [host, arn] of o.queues) {
    await sns.send(
      new SubscribeCommand({
        TopicArn: topics[topicOf.get(host) as number],
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { RawMessageDelivery: 'true', FilterPolicy: hostFilterPolicy(host, o.mode) },
        ReturnSubscriptionArn: true,
      }),
    );
    usage.subscribes++;
  }

  return {
    usage,
    topics: topicCount,
    /** Design b: one Publish per distinct body on the single topic. */
    async publishEach(record: OutboxRecord): Promise<void> {
      for (const [i, g] of groupByBody(record).entries()) {
        await sns.send(
          new PublishCommand({
            TopicArn: topics[0],
            Message: g.body,
            MessageGroupId: record.networkId,
            MessageDeduplicationId: dedupId(record, 0, i),
            MessageAttributes: attributesOf(record, g.hosts, o.mode),
          }),
        );
        usage.calls++;
        usage.publishes++;
      }
    },
    /** Design c: per topic that holds a target host, one PublishBatch of its distinct bodies. */
    async publishBatched(record: OutboxRecord): Promise<void> {
      const perTopic = new Map<number, PublishBatchRequestEntry[]>();
      for (const [i, g] of groupByBody(record).entries()) {
        const byTopic = new Map<number, string[]>();
        for (const h of g.hosts) {
          const t = topicOf.get(h);
          if (t === undefined) throw new Error(`host ${h} has no subscription in ${o.name}`);
          byTopic.set(t, [...(byTopic.get(t) ?? []), h]);
        }
        for (const [t, hs] of byTopic)
          perTopic.set(t, [
            ...(perTopic.get(t) ?? []),
            {
              Id: String(i),
              Message: g.body,
              MessageGroupId: record.networkId,
              MessageDeduplicationId: dedupId(record, t, i),
              MessageAttributes: attributesOf(record, hs, o.mode),
            },
          ]);
      }
      await Promise.all(
        [...perTopic.entries()].map(async ([t, entries]) => {
          for (let i = 0; i < entries.length; i += BATCH_ENTRIES) {
            const batch = entries.slice(i, i + BATCH_ENTRIES);
            const res = await sns.send(
              new PublishBatchCommand({ TopicArn: topics[t], PublishBatchRequestEntries: batch }),
            );
            usage.calls++;
            usage.publishes += batch.length;
            if (res.Failed && res.Failed.length > 0)
              throw new Error(
                `PublishBatch to topic ${t}: ${res.Failed[0]?.Code}: ${res.Failed[0]?.Message}`,
              );
          }
        }),
      );
    },
  };
}
