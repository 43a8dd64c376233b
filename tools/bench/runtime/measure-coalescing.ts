import path from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { OUT_DIR } from '../../../scripts/build.mjs';
import { queueDepth } from '../../../src/adapters/aws/inbound-queues.js';
import { dispatchPortEvents } from '../../../src/app/dispatch.js';
import { parsePortEvent } from '../../../src/contracts/parse.js';
import type { Port } from '../../../src/core/types.js';
import { loadBundledHandler } from '../../local/load-function.js';
import { lambdaContext } from '../../local/poller.js';
import { seedNetwork } from '../../support/seed-network.js';
import type { BenchServers } from './bench-stack.js';

export interface CoalescingMode {
  /** Records per invocation, all of one network (one FIFO message group). */
  readonly batchSize: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Network versions committed (one commit each). */
  readonly commits: number;
  /** Commands the agents' queues received. */
  readonly messages: number;
  readonly eventsPerCommit: number;
  readonly messagesPerEvent: number;
  /** One commit of this mode measured in-process with the meter: DynamoDB requests and WCU. */
  readonly commit: { readonly dynamoRequests: number; readonly writeUnits: number };
}

export interface CoalescingResult {
  readonly hosts: number;
  readonly ports: number;
  readonly single: CoalescingMode;
  readonly coalesced: CoalescingMode;
  /** Coalesced events/s over one-event-per-commit events/s, measured in the same run. */
  readonly speedup: number;
}

/**
 * Port events of one network of `hosts` hosts through the bundled port-events function on
 * DynamoDB Local and fauxqs, end to end from the invocation to the commands in the agents' queues:
 * batches of 1 (one event per commit, what the handler did before coalescing) against batches of
 * 10 of the same network, side by side in one run. The batches are handed to the bundle as the
 * event source mapping would: fauxqs hands out one message of a FIFO group per receive (SQS up to
 * 10), so its poller never builds a batch of one group. Each event moves a distinct port's IP, so
 * every present agent is told.
 */
export async function measureCoalescing(
  servers: BenchServers,
  o: {
    hosts: number;
    ports: number;
    singleEvents: number;
    coalescedEvents: number;
    /** Slices the two modes alternate in (default 1: all single events, then all batches). */
    rounds?: number;
  },
  log: (s: string) => void,
): Promise<CoalescingResult> {
  const sc = await servers.scenario('coalesce');
  const network = { id: 'co', name: 'co', networkType: 'vxlan', segmentId: 7000 };
  const seeded = await seedNetwork(servers.clients.doc, sc.tableName, {
    network,
    hosts: o.hosts,
    ports: o.ports,
    hostPrefix: 'ch',
  });
  const urls = await Promise.all(seeded.agents.map((a) => sc.queues.url(a.host)));
  const queue = sc.resources.queues.PortEventsQueue as { url: string; arn: string };
  const handler = await loadBundledHandler<(e: SQSEvent, c: Context) => Promise<SQSBatchResponse>>(
    path.join(OUT_DIR, 'port-events.mjs'),
    {
      AWS_REGION: 'us-east-1',
      L2POP_TABLE_NAME: sc.tableName,
      L2POP_DYNAMODB_ENDPOINT: servers.endpoints.dynamo,
      L2POP_SQS_ENDPOINT: servers.endpoints.sqs,
      L2POP_AGENT_QUEUE_PREFIX: `${sc.stackName}-agent-cmd-`,
      L2POP_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
  );
  const record = (i: number): SQSRecord => {
    const p = seeded.ports[i % o.ports] as Port;
    const body = JSON.stringify({
      type: 'port.upsert',
      v: 1,
      network: { id: network.id, networkType: 'vxlan', segmentId: network.segmentId },
      port: { ...p, ips: [`10.251.${(i >> 8) & 255}.${i & 255}`], revision: 2 + Math.floor(i / o.ports) },
    });
    const now = String(Date.now());
    return {
      messageId: `co-${i}`,
      receiptHandle: `co-${i}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: now,
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: now,
        MessageGroupId: network.id,
        MessageDeduplicationId: `co-${i}`,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    };
  };
  const messagesQueued = async () =>
    (await Promise.all(urls.map((u) => queueDepth(servers.clients.sqs, u)))).reduce((a, b) => a + b, 0);
  const version = async () => (await sc.deps().store.getNetworkState(network.id))?.version ?? 0;
  let next = 0;
  interface Timed {
    readonly events: number;
    readonly seconds: number;
    readonly commits: number;
    readonly messages: number;
  }
  const timed = async (batchSize: number, events: number): Promise<Timed> => {
    const [v0, m0] = [await version(), await messagesQueued()];
    const t0 = Date.now();
    for (let done = 0; done < events; done += batchSize) {
      const records = Array.from({ length: batchSize }, () => record(next++));
      // a fresh context per invocation, as Lambda gives: its deadline is this invocation's own
      const context = lambdaContext('port-events', 'us-east-1', 300_000);
      const response = await handler({ Records: records }, context);
      if (response.batchItemFailures.length > 0)
        throw new Error(`batch failed: ${JSON.stringify(response.batchItemFailures)}`);
    }
    const seconds = (Date.now() - t0) / 1000;
    return { events, seconds, commits: (await version()) - v0, messages: (await messagesQueued()) - m0 };
  };
  /** One commit of `batchSize` events, in process on the bench's metered client. */
  const commitCost = async (batchSize: number) => {
    servers.clients.meter.reset();
    const group = Array.from({ length: batchSize }, () => parsePortEvent(record(next++).body));
    await dispatchPortEvents(sc.deps(), network.id, group);
    const usage = servers.clients.meter.usage();
    return {
      dynamoRequests: Object.values(usage.requests).reduce((a, b) => a + b, 0),
      writeUnits: usage.writeUnits,
    };
  };
  const mode = async (batchSize: number, parts: readonly Timed[]): Promise<CoalescingMode> => {
    const sum = (k: keyof Timed) => parts.reduce((n, p) => n + p[k], 0);
    const [events, seconds, commits, messages] = [
      sum('events'),
      sum('seconds'),
      sum('commits'),
      sum('messages'),
    ];
    const commit = await commitCost(batchSize);
    log(
      `  batches of ${batchSize}: ${events} events in ${seconds.toFixed(1)} s (${(events / seconds).toFixed(1)}/s), ${commits} commits, ${messages} messages; a commit: ${commit.dynamoRequests} DynamoDB requests, ${commit.writeUnits} WCU`,
    );
    return {
      batchSize,
      events,
      seconds,
      eventsPerSecond: events / seconds,
      commits,
      messages,
      eventsPerCommit: events / commits,
      messagesPerEvent: messages / events,
      commit,
    };
  };
  // Warm the bundle (cold start, connections) outside the measurement.
  await timed(1, 1);
  // The two modes alternate in `rounds` slices, so a change of the machine's load weighs on both.
  const rounds = Math.max(1, o.rounds ?? 1);
  const [singles, batches]: [Timed[], Timed[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    singles.push(await timed(1, Math.ceil(o.singleEvents / rounds)));
    batches.push(await timed(10, Math.ceil(o.coalescedEvents / rounds / 10) * 10));
  }
  const single = await mode(1, singles);
  const coalesced = await mode(10, batches);
  await sc.drop();
  return {
    hosts: o.hosts,
    ports: o.ports,
    single,
    coalesced,
    speedup: coalesced.eventsPerSecond / single.eventsPerSecond,
  };
}
