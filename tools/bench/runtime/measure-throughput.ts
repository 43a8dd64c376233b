import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { OUT_DIR } from '../../../scripts/build.mjs';
import { dispatchEvent } from '../../../src/app/dispatch.js';
import { parseInboundEvent } from '../../../src/contracts/parse.js';
import type { Port } from '../../../src/core/types.js';
import { loadBundledHandler } from '../../local/load-function.js';
import { createPoller } from '../../local/poller.js';
import { type Seeded, seedNetwork } from '../../support/seed-network.js';
import type { BenchServers } from './bench-stack.js';

export interface ThroughputResult {
  readonly events: number;
  readonly networks: number;
  readonly hostsPerNetwork: number;
  readonly portsPerNetwork: number;
  readonly pollers: number;
  readonly endToEnd: { readonly seconds: number; readonly eventsPerSecond: number };
  readonly perEvent: {
    readonly dynamoRequests: number;
    readonly sqsCalls: number;
    readonly sqsMessages: number;
  };
  readonly floor: {
    readonly dynamoWrites: number;
    readonly sqsSends: number;
    readonly seconds: number;
    readonly eventsPerSecond: number;
  };
  /** End-to-end events/s divided by the I/O floor's events/s (1 would mean no overhead at all). */
  readonly ratio: number;
}

async function workers(n: number, jobs: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs) await job(next++);
    }),
  );
}

/**
 * Steady-state port events through the whole local stack (inbound FIFO queue, the poller, the
 * bundled port-events function, DynamoDB Local, per-agent queues), against an I/O floor measured
 * in the same run: the same number of raw DynamoDB writes and SQS sends, with the same concurrency.
 */
export async function measureThroughput(
  servers: BenchServers,
  o: { networks: number; hosts: number; ports: number; events: number; pollers: number },
  log: (s: string) => void,
): Promise<ThroughputResult> {
  const sc = await servers.scenario('throughput');
  const seeded: Seeded[] = [];
  for (let n = 0; n < o.networks; n++) {
    const network = { id: `t${n}`, name: `t${n}`, networkType: 'vxlan', segmentId: 6000 + n };
    seeded.push(
      await seedNetwork(servers.clients.doc, sc.tableName, {
        network,
        hosts: o.hosts,
        ports: o.ports,
        hostPrefix: 'h',
      }),
    );
  }
  await Promise.all((seeded[0] as Seeded).agents.map((a) => sc.queues.url(a.host)));
  const body = (i: number, rev: number) => {
    const s = seeded[i % o.networks] as Seeded;
    const p = s.ports[Math.floor(i / o.networks) % o.ports] as Port;
    const ip = `10.250.${(i >> 8) & 255}.${i & 255}`;
    return JSON.stringify({
      type: 'port.upsert',
      v: 1,
      network: { id: s.network.id, networkType: 'vxlan', segmentId: s.network.segmentId },
      port: { ...p, ips: [ip], revision: rev },
    });
  };
  // One measured event outside the stack gives the I/O per event for the floor.
  servers.clients.meter.reset();
  const sqs0 = { ...sc.publisher.usage };
  await dispatchEvent(sc.deps(), parseInboundEvent(body(o.events, 2)));
  const perEvent = {
    dynamoRequests: Object.values(servers.clients.meter.usage().requests).reduce((a, b) => a + b, 0),
    sqsCalls: sc.publisher.usage.calls - sqs0.calls,
    sqsMessages: sc.publisher.usage.messages - sqs0.messages,
  };
  const queue = sc.resources.queues.PortEventsQueue as { url: string; arn: string };
  const entries = Array.from({ length: o.events }, (_, i) => ({
    Id: String(i % 10),
    MessageBody: body(i, 3 + Math.floor(i / (o.networks * o.ports))),
    MessageGroupId: `t${i % o.networks}`,
    MessageDeduplicationId: randomUUID(),
  }));
  for (let i = 0; i < entries.length; i += 10)
    await servers.clients.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries.slice(i, i + 10) }),
    );
  const env = {
    AWS_REGION: 'us-east-1',
    L2POP_TABLE_NAME: sc.tableName,
    L2POP_DYNAMODB_ENDPOINT: servers.endpoints.dynamo,
    L2POP_SQS_ENDPOINT: servers.endpoints.sqs,
    L2POP_AGENT_QUEUE_PREFIX: `${sc.stackName}-agent-cmd-`,
    L2POP_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const pollers = [];
  for (let i = 0; i < o.pollers; i++) {
    const handler = await loadBundledHandler(path.join(OUT_DIR, 'port-events.mjs'), env);
    pollers.push(
      createPoller({
        sqs: servers.clients.sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        handler,
        functionName: 'port-events',
        waitTimeSeconds: 1,
      }),
    );
  }
  const t0 = Date.now();
  for (const p of pollers) p.start();
  while (pollers.reduce((n, p) => n + p.stats.deleted, 0) < o.events)
    await new Promise((r) => setTimeout(r, 20));
  const seconds = (Date.now() - t0) / 1000;
  await Promise.all(pollers.map((p) => p.stop()));
  const left = await servers.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  log(
    `  end to end: ${o.events} events in ${seconds.toFixed(1)} s (${(o.events / seconds).toFixed(1)}/s), queue left ${left.Attributes?.ApproximateNumberOfMessages}`,
  );

  const floorQueue = await sc.queues.url('floor-probe');
  const writes = o.events * perEvent.dynamoRequests;
  const sends = o.events * perEvent.sqsCalls;
  const payload = 'x'.repeat(400);
  const f0 = Date.now();
  await workers(o.pollers, writes, (i) =>
    servers.clients.doc
      .send(
        new PutCommand({ TableName: sc.tableName, Item: { pk: `FLOOR#${i % 64}`, sk: String(i), payload } }),
      )
      .then(() => {}),
  );
  await workers(o.pollers, sends, (i) =>
    servers.clients.sqs
      .send(
        new SendMessageCommand({
          QueueUrl: floorQueue,
          MessageBody: payload,
          MessageGroupId: `g${i % 16}`,
          MessageDeduplicationId: randomUUID(),
        }),
      )
      .then(() => {}),
  );
  const floorSeconds = (Date.now() - f0) / 1000;
  log(`  floor: ${writes} PutItem + ${sends} SendMessage in ${floorSeconds.toFixed(1)} s`);
  await sc.drop();
  const eps = o.events / seconds;
  const floorEps = o.events / floorSeconds;
  return {
    events: o.events,
    networks: o.networks,
    hostsPerNetwork: o.hosts,
    portsPerNetwork: o.ports,
    pollers: o.pollers,
    endToEnd: { seconds, eventsPerSecond: eps },
    perEvent,
    floor: { dynamoWrites: writes, sqsSends: sends, seconds: floorSeconds, eventsPerSecond: floorEps },
    ratio: eps / floorEps,
  };
}
