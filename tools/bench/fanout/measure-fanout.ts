import { performance } from 'node:perf_hooks';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createAgentQueues } from '../../../src/adapters/aws/agent-queues.js';
import { createAwsClients } from '../../../src/adapters/aws/aws-clients.js';
import { createSqsCommandPublisher } from '../../../src/adapters/aws/sqs-command-publisher.js';
import type { OutboxRecord } from '../../../src/app/ports.js';
import { buildCoreFixture } from '../core/fixture.js';
import { planPortEventIncremental } from '../core/port-event.js';
import { checkDeliveries, drainQueues } from './drain-queues.js';
import { createNetworkTopics, FIFO_TOPIC_SUBSCRIPTIONS, type HostFilter } from './topic-fanout.js';

/** AWS list prices, us-east-1: SQS FIFO requests, SNS FIFO publishes ($ per million). */
export const PRICE = { sqsFifoRequest: 0.5, snsFifoPublish: 0.3 } as const;

export const DESIGNS = [
  'a: SQS per agent',
  'b: topic per network',
  'c: topics of 100, PublishBatch',
] as const;
export type Design = (typeof DESIGNS)[number];

export interface FanoutRow {
  readonly hosts: number;
  readonly design: Design;
  readonly topics: number;
  readonly subscriptions: number;
  readonly apiCallsPerEvent: number;
  readonly billedRequestsPerEvent: number;
  readonly commandsPerEvent: number;
  readonly deliveredPerEvent: number;
  readonly msPerEventMedian: number;
  readonly eventsPerSecond: number;
  readonly dollarsPerMillionEvents: number;
  readonly allDeliveredExactly: boolean;
  readonly problems: readonly string[];
}

export interface FanoutResult {
  readonly fauxqsMatchesStringArrayFilter: boolean;
  readonly hostFilter: HostFilter;
  readonly rows: FanoutRow[];
}

interface Publisher {
  readonly queues: Map<string, string>;
  readonly publish: (r: OutboxRecord) => Promise<void>;
  readonly calls: () => number;
  readonly billed: () => number;
  readonly price: number;
  readonly topics: number;
  readonly subscribes: number;
}

async function queueArns(sqs: SQSClient, urls: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [host, QueueUrl] of urls) {
    const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    out.set(host, res.Attributes?.QueueArn as string);
  }
  return out;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The planned commands of `events` steady-state port events on a network of `hosts` agents. */
async function plannedRecords(hosts: number, events: number) {
  const fx = buildCoreFixture(hosts, 1000, events);
  const records: OutboxRecord[] = [];
  for (const [i, ev] of fx.events.entries()) {
    const planned = await planPortEventIncremental(fx, ev);
    if (!planned.outbox) throw new Error(`event ${i} on ${hosts} hosts planned no commands`);
    records.push({ ...planned.outbox, key: `e${String(i).padStart(4, '0')}`, correlationId: `bench-${i}` });
  }
  const expected = new Map<string, string[]>([...fx.agents.keys()].map((h) => [h, []]));
  for (const r of records) for (const c of r.commands) expected.get(c.host)?.push(JSON.stringify(c.command));
  return { hosts: [...fx.agents.keys()], records, expected };
}

/**
 * Publishes the same planned records by every design, events interleaved, on the SQS/SNS server at
 * `endpoint` (fauxqs), then drains every agent queue and checks each agent got exactly its own
 * commands, in order. `tag` keeps queue and topic names apart between runs on one server.
 */
export async function measureFanout(
  endpoint: string,
  o: { sizes: readonly number[]; events: number; tag: string; log: (s: string) => void },
): Promise<FanoutResult> {
  const clients = createAwsClients({ region: 'us-east-1', sqsEndpoint: endpoint });
  const sns = new SNSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const agentQueues = async (prefix: string, hosts: readonly string[]) => {
    const queues = createAgentQueues({ sqs: clients.sqs, prefix });
    const urls = new Map(await Promise.all(hosts.map(async (h) => [h, await queues.url(h)] as const)));
    return { queues, urls };
  };

  /** Whether the server delivers a String.Array attribute to an exact-match filter on one element, as AWS does. */
  const probeStringArray = async (): Promise<boolean> => {
    const { urls } = await agentQueues(`${o.tag}-probe-`, ['p1']);
    const topic = await createNetworkTopics(sns, {
      name: `${o.tag}-probe`,
      networkId: 'probe',
      queues: await queueArns(clients.sqs, urls),
      perTopic: 1,
      mode: 'array',
    });
    const command = { v: 1, kind: 'leave', networkId: 'probe', version: 1 } as const;
    await topic.publishEach({
      networkId: 'probe',
      version: 1,
      key: 'k',
      commands: [{ host: 'p1', command }],
    });
    return ((await drainQueues(clients.sqs, urls)).get('p1') ?? []).length === 1;
  };

  const makePublisher = async (
    design: Design,
    hosts: readonly string[],
    prefix: string,
    mode: HostFilter,
  ) => {
    const { queues, urls } = await agentQueues(prefix, hosts);
    if (design === 'a: SQS per agent') {
      const p = createSqsCommandPublisher({ sqs: clients.sqs, queues });
      return {
        queues: urls,
        publish: (r) => p.publish(r),
        calls: () => p.usage.calls,
        billed: () => p.usage.calls,
        price: PRICE.sqsFifoRequest,
        topics: 0,
        subscribes: 0,
      } satisfies Publisher;
    }
    const batched = design === 'c: topics of 100, PublishBatch';
    const t = await createNetworkTopics(sns, {
      name: `${prefix}net`,
      networkId: 'net',
      queues: await queueArns(clients.sqs, urls),
      perTopic: batched ? FIFO_TOPIC_SUBSCRIPTIONS : hosts.length,
      mode,
    });
    return {
      queues: urls,
      publish: (r) => (batched ? t.publishBatched(r) : t.publishEach(r)),
      calls: () => t.usage.calls,
      billed: () => t.usage.publishes,
      price: PRICE.snsFifoPublish,
      topics: t.topics,
      subscribes: t.usage.subscribes,
    } satisfies Publisher;
  };

  try {
    const stringArray = await probeStringArray();
    const mode: HostFilter = stringArray ? 'array' : 'wildcard';
    o.log(`String.Array filters matched: ${stringArray}; host filter used: ${mode}`);
    const rows: FanoutRow[] = [];
    for (const size of o.sizes) {
      const { hosts, records, expected } = await plannedRecords(size, o.events);
      const pubs = new Map<Design, Publisher>();
      for (const [i, d] of DESIGNS.entries())
        pubs.set(d, await makePublisher(d, hosts, `${o.tag}-${size}-${i}-`, mode));
      const ms = new Map<Design, number[]>(DESIGNS.map((d) => [d, []]));
      for (const [i, r] of records.entries()) {
        for (let k = 0; k < DESIGNS.length; k++) {
          const d = DESIGNS[(i + k) % DESIGNS.length] as Design;
          const t0 = performance.now();
          await (pubs.get(d) as Publisher).publish(r);
          ms.get(d)?.push(performance.now() - t0);
        }
      }
      const targeted = records.reduce((n, r) => n + r.commands.length, 0) / records.length;
      for (const d of DESIGNS) {
        const p = pubs.get(d) as Publisher;
        const { delivered, problems } = checkDeliveries(expected, await drainQueues(clients.sqs, p.queues));
        const times = ms.get(d) as number[];
        const total = times.reduce((a, b) => a + b, 0);
        const row: FanoutRow = {
          hosts: size,
          design: d,
          topics: p.topics,
          subscriptions: p.subscribes,
          apiCallsPerEvent: p.calls() / o.events,
          billedRequestsPerEvent: p.billed() / o.events,
          commandsPerEvent: targeted,
          deliveredPerEvent: delivered / o.events,
          msPerEventMedian: Math.round(median(times) * 10) / 10,
          eventsPerSecond: Math.round((o.events / total) * 10000) / 10,
          dollarsPerMillionEvents: Math.round((p.billed() / o.events) * p.price * 100) / 100,
          allDeliveredExactly: problems.length === 0,
          problems: problems.slice(0, 5),
        };
        rows.push(row);
        const verdict =
          problems.length === 0 ? 'all delivered' : `PROBLEMS: ${problems.slice(0, 3).join('; ')}`;
        o.log(
          `${size} hosts, ${d}: ${row.apiCallsPerEvent} calls/event, ${row.deliveredPerEvent} delivered/event (of ${targeted}), ${row.msPerEventMedian} ms, ${row.eventsPerSecond} events/s, ${verdict}`,
        );
      }
    }
    return { fauxqsMatchesStringArrayFilter: stringArray, hostFilter: mode, rows };
  } finally {
    sns.destroy();
    clients.destroy();
  }
}
