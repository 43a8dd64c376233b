import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ROOT } from '../../scripts/build.mjs';
import { createAgentQueues } from '../../src/adapters/aws/agent-queues.js';
import { createAwsClients } from '../../src/adapters/aws/aws-clients.js';
import { createSqsCommandPublisher } from '../../src/adapters/aws/sqs-command-publisher.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import { startSqsLocal } from '../../src/runtime/local-servers.js';
import { buildCoreFixture } from '../core/fixture.js';
import { planPortEventIncremental } from '../core/port-event.js';
import { checkDeliveries, drainQueues } from './drain-queues.js';
import { createNetworkTopics, FIFO_TOPIC_SUBSCRIPTIONS, type HostFilter } from './topic-fanout.js';

/**
 * `npm run bench:fanout`: one steady-state port event's commands (planned by the product's
 * incremental path on a network of N hosts) published to every interested agent's FIFO queue by
 * (a) the product's publisher, SendMessageBatch per agent queue; (b) one SNS FIFO topic per network,
 * every present agent's queue subscribed with a filter on its host, one Publish per distinct body;
 * (c) the network's agents dealt over FIFO topics of at most 100 subscriptions (AWS's limit), one
 * PublishBatch per topic. Side by side on fauxqs, events interleaved; every queue is then drained
 * and each agent must have received exactly its own commands, in order.
 * `--quick`: 10 and 50 hosts, 5 events. Writes bench/results/fanout.json (fanout.quick.json).
 */
const quick = process.argv.includes('--quick');
const sizes = quick ? [10, 50] : [10, 50, 200, 500];
const events = quick ? 5 : 20;
const log = (s: string) => console.log(s);

/** AWS list prices, us-east-1: SQS FIFO requests, SNS FIFO publishes ($ per million). */
const PRICE = { sqsFifoRequest: 0.5, snsFifoPublish: 0.3 } as const;

type Design = 'a: SQS per agent' | 'b: topic per network' | 'c: topics of 100, PublishBatch';
const DESIGNS: readonly Design[] = [
  'a: SQS per agent',
  'b: topic per network',
  'c: topics of 100, PublishBatch',
];

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

const server = await startSqsLocal();
const clients = createAwsClients({ region: 'us-east-1', sqsEndpoint: server.endpoint });
const sns = new SNSClient({
  region: 'us-east-1',
  endpoint: server.endpoint,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

async function agentQueues(prefix: string, hosts: readonly string[]): Promise<Map<string, string>> {
  const queues = createAgentQueues({ sqs: clients.sqs, prefix });
  return new Map(await Promise.all(hosts.map(async (h) => [h, await queues.url(h)] as const)));
}

/** Whether fauxqs delivers a String.Array attribute to an exact-match filter on one element, as AWS does. */
async function probeStringArray(): Promise<boolean> {
  const queues = await agentQueues('probe-', ['p1']);
  const topic = await createNetworkTopics(sns, {
    name: 'probe',
    networkId: 'probe',
    queues: await queueArns(clients.sqs, queues),
    perTopic: 1,
    mode: 'array',
  });
  const command = { v: 1, kind: 'leave', networkId: 'probe', version: 1 } as const;
  await topic.publishEach({ networkId: 'probe', version: 1, key: 'k', commands: [{ host: 'p1', command }] });
  return ((await drainQueues(clients.sqs, queues)).get('p1') ?? []).length === 1;
}

async function makePublisher(design: Design, hosts: readonly string[], tag: string, mode: HostFilter) {
  const prefix = `fan-${tag}-${DESIGNS.indexOf(design)}-`;
  const sqsQueues = createAgentQueues({ sqs: clients.sqs, prefix });
  const queues = new Map(await Promise.all(hosts.map(async (h) => [h, await sqsQueues.url(h)] as const)));
  if (design === 'a: SQS per agent') {
    const p = createSqsCommandPublisher({ sqs: clients.sqs, queues: sqsQueues });
    return {
      queues,
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
    queues: await queueArns(clients.sqs, queues),
    perTopic: batched ? FIFO_TOPIC_SUBSCRIPTIONS : hosts.length,
    mode,
  });
  return {
    queues,
    publish: (r) => (batched ? t.publishBatched(r) : t.publishEach(r)),
    calls: () => t.usage.calls,
    billed: () => t.usage.publishes,
    price: PRICE.snsFifoPublish,
    topics: t.topics,
    subscribes: t.usage.subscribes,
  } satisfies Publisher;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  const stringArray = await probeStringArray();
  const mode: HostFilter = stringArray ? 'array' : 'wildcard';
  log(`fauxqs matches String.Array filters: ${stringArray}; host filter used: ${mode}`);
  const rows = [];
  for (const hosts of sizes) {
    const fx = buildCoreFixture(hosts, 1000, events);
    const records: OutboxRecord[] = [];
    for (const [i, ev] of fx.events.entries()) {
      const planned = await planPortEventIncremental(fx, ev);
      if (!planned.outbox) throw new Error(`event ${i} on ${hosts} hosts planned no commands`);
      records.push({ ...planned.outbox, key: `e${String(i).padStart(4, '0')}`, correlationId: `bench-${i}` });
    }
    const expected = new Map<string, string[]>([...fx.agents.keys()].map((h) => [h, []]));
    for (const r of records)
      for (const c of r.commands) expected.get(c.host)?.push(JSON.stringify(c.command));
    const hostNames = [...fx.agents.keys()];
    const pubs = new Map<Design, Publisher>();
    for (const d of DESIGNS) pubs.set(d, await makePublisher(d, hostNames, `${hosts}`, mode));
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
      const row = {
        hosts,
        design: d,
        topics: p.topics,
        subscriptions: p.subscribes,
        apiCallsPerEvent: p.calls() / events,
        billedRequestsPerEvent: p.billed() / events,
        commandsPerEvent: targeted,
        deliveredPerEvent: delivered / events,
        msPerEventMedian: Math.round(median(times) * 10) / 10,
        eventsPerSecond: Math.round((events / total) * 10000) / 10,
        dollarsPerMillionEvents: Math.round((p.billed() / events) * p.price * 100) / 100,
        allDeliveredExactly: problems.length === 0,
        problems: problems.slice(0, 5),
      };
      rows.push(row);
      log(
        `${hosts} hosts, ${d}: ${row.apiCallsPerEvent} calls/event, ${row.deliveredPerEvent} delivered/event (of ${targeted}), ${row.msPerEventMedian} ms, ${row.eventsPerSecond} events/s, ${problems.length === 0 ? 'all delivered' : `PROBLEMS: ${problems.slice(0, 3).join('; ')}`}`,
      );
    }
  }
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench:fanout${quick ? ' -- --quick' : ''}`,
    machine: { cpus: os.cpus().length, node: process.version, load: os.loadavg() },
    server: 'fauxqs@2.4.1 in process (SQS and SNS; SNS fan-out runs synchronously inside Publish)',
    eventsPerSize: events,
    portsPerNetwork: 1000,
    fauxqsMatchesStringArrayFilter: stringArray,
    hostFilter: mode,
    prices: PRICE,
    rows,
  };
  const dir = path.join(ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = quick ? 'fanout.quick.json' : 'fanout.json';
  await writeFile(path.join(dir, file), `${JSON.stringify(result, null, 2)}\n`);
  log(
    '\n| hosts | design | topics | API calls / event | billed requests / event | delivered / event | ms / event (median) | events/s | $ / million events (calls) | calls vs (a) |',
  );
  log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const a = rows.find((x) => x.hosts === r.hosts && x.design === 'a: SQS per agent');
    const ratio = a ? (r.apiCallsPerEvent / a.apiCallsPerEvent).toFixed(3) : '';
    log(
      `| ${r.hosts} | ${r.design} | ${r.topics} | ${r.apiCallsPerEvent} | ${r.billedRequestsPerEvent} | ${r.deliveredPerEvent} | ${r.msPerEventMedian} | ${r.eventsPerSecond} | ${r.dollarsPerMillionEvents} | ${ratio} |`,
    );
  }
  log(`\nwrote bench/results/${file}`);
  if (rows.some((r) => !r.allDeliveredExactly)) process.exitCode = 1;
} finally {
  sns.destroy();
  clients.destroy();
  await server.stop();
}
