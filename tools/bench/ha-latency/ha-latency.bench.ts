import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { OUT_DIR, ROOT } from '../../../scripts/build.mjs';
import { agentQueueName } from '../../../src/adapters/aws/agent-queues.js';
import { startLocalServers } from '../../local/boot.js';
import { createLocalResources } from '../../local/local-resources.js';
import { startLocalStack } from '../../local/local-stack.js';
import { startMeteringProxy, type WireExchange } from '../../local/metering-proxy.js';

/**
 * `npm run bench:ha-latency`: where the time of one master-binding `ha.state` goes between the
 * event being in SQS and the agents having received their commands, without a kernel. The failover
 * bed's topology (docs/dataplane.md §2): four agents (net1, net2 host the router; compute1,
 * compute2 a VM each, kernel ARP proxy, no learning), the router's tenant port and its two HA
 * ports. The bundled `ha-events` handler runs behind the local poller, as on the bed, and reaches
 * DynamoDB Local and fauxqs through pass-through proxies that stamp every request; four simulated
 * agents long-poll their own queues (20 s, as the reference agent does) and stamp each receive.
 * Everything runs in this one process, as on the bed. Each failover's timeline is taken from the
 * moment the test's SendMessage of the `ha.state` returned. `--n N` failovers (default 30);
 * `--full-jit`: DynamoDB Local with C2 (tools/local/local-servers.ts); `--label L` names the file.
 * Writes tools/bench/results/ha-latency.<label>.json.
 */
const n = Number(process.argv[process.argv.indexOf('--n') + 1]) || 30;
const label = process.argv.includes('--label') ? process.argv[process.argv.indexOf('--label') + 1] : 'run';
const now = () => performance.timeOrigin + performance.now();
const HOSTS = {
  net1: '198.51.100.21',
  net2: '198.51.100.22',
  compute1: '198.51.100.11',
  compute2: '198.51.100.12',
};
const ROUTER = 'router-1';

const exchanges: (WireExchange & { via: 'dynamo' | 'sqs' })[] = [];
const jit = process.argv.includes('--full-jit') ? 'full' : 'quick-start';
const servers = await startLocalServers({ build: !process.argv.includes('--no-build'), dynamoJit: jit });
const dynamoProxy = await startMeteringProxy(servers.endpoints.dynamo, {
  onExchange: (e) => exchanges.push({ ...e, via: 'dynamo' }),
});
const sqsProxy = await startMeteringProxy(servers.endpoints.sqs, {
  onExchange: (e) => exchanges.push({ ...e, via: 'sqs' }),
});
const sqs: SQSClient = servers.clients.sqs;
const invocations: { fn: string; t: number }[] = [];
const resources = await createLocalResources({
  dynamo: servers.clients.dynamo,
  sqs,
  stackName: 'halat',
});
const stack = await startLocalStack({
  clients: servers.clients,
  resources,
  endpoints: { dynamo: dynamoProxy.endpoint, sqs: sqsProxy.endpoint },
  functionsDir: OUT_DIR,
  env: { L2POP_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  retryDelaySeconds: 1,
  onInvoke: (fn) => invocations.push({ fn, t: now() }),
});
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
const queueUrl = (id: string) => {
  const q = resources.queues[id];
  if (!q) throw new Error(`no ${id}`);
  return q.url;
};
let dedup = 0;
const send = async (queue: string, group: string, event: Record<string, unknown>) => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl(queue),
      MessageBody: JSON.stringify({ v: 1, ...event }),
      MessageGroupId: group,
      MessageDeduplicationId: `d${++dedup}-${Date.now()}`,
    }),
  );
  return now();
};
const port = (network: { id: string; segmentId: number }, p: Record<string, string>) => ({
  type: 'port.upsert',
  network: { id: network.id, name: network.id, networkType: 'vxlan', segmentId: network.segmentId },
  port: {
    id: p.id,
    networkId: network.id,
    mac: p.mac,
    ips: [p.ip],
    deviceOwner: p.owner ?? 'compute:nova',
    deviceId: p.device ?? `vm-${p.id}`,
    host: p.host,
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
  },
});
const tenant = { id: 'net-tenant', segmentId: 100 };
const haNet = { id: 'net-ha', segmentId: 200 };

// Setup: the agents report, the flag, the schedule, the first master, the ports.
for (const [host, tunnelIp] of Object.entries(HOSTS))
  await send('AgentEventsQueue', host, {
    type: 'agent.report',
    host,
    tunnelIp,
    agentType: 'Linux bridge agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: false, arp: 'proxy' },
    bootId: 'b1',
    revision: 1,
  });
await send('HaEventsQueue', 'flags', {
  type: 'flags.set',
  flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
  revision: 1,
});
await send('HaEventsQueue', ROUTER, {
  type: 'ha.schedule',
  routerId: ROUTER,
  hosts: ['net1', 'net2'],
  revision: 1,
});
let seq = 1;
await send('HaEventsQueue', ROUTER, {
  type: 'ha.state',
  routerId: ROUTER,
  host: 'net1',
  state: 'active',
  seq,
});
await send(
  'PortEventsQueue',
  tenant.id,
  port(tenant, { id: 'vm1', mac: 'fa:16:3e:10:00:01', ip: '192.0.2.10', host: 'compute1' }),
);
await send(
  'PortEventsQueue',
  tenant.id,
  port(tenant, { id: 'vm2', mac: 'fa:16:3e:10:00:02', ip: '192.0.2.20', host: 'compute2' }),
);
for (const [i, host] of ['net1', 'net2'].entries())
  await send(
    'PortEventsQueue',
    haNet.id,
    port(haNet, {
      id: `ha-${host}`,
      mac: `fa:16:3e:20:00:0${i + 1}`,
      ip: `169.254.192.${i + 1}`,
      owner: 'network:router_ha_interface',
      device: ROUTER,
      host,
    }),
  );
await send(
  'PortEventsQueue',
  tenant.id,
  port(tenant, {
    id: 'qr',
    mac: 'fa:16:3e:00:00:01',
    ip: '192.0.2.1',
    owner: 'network:ha_router_replicated_interface',
    device: ROUTER,
    host: 'net1',
  }),
);

// The simulated agents: long poll, stamp, delete (the reference agent acknowledges after applying).
const received: { host: string; t: number; count: number }[] = [];
const stop = new AbortController();
const agentLoop = async (host: string) => {
  let url: string | undefined;
  while (!url && !stop.signal.aborted) {
    try {
      url = (
        await sqs.send(new GetQueueUrlCommand({ QueueName: agentQueueName(stack.agentQueuePrefix, host) }))
      ).QueueUrl;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  while (!stop.signal.aborted && url) {
    try {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
        { abortSignal: stop.signal },
      );
      const msgs = res.Messages ?? [];
      if (msgs.length === 0) continue;
      received.push({ host, t: now(), count: msgs.length });
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    } catch {
      if (stop.signal.aborted) return;
    }
  }
};
const loops = Object.keys(HOSTS).map(agentLoop);
await new Promise((r) => setTimeout(r, 3000));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const rows: Record<string, number | string>[] = [];
for (let i = 0; i < n; i++) {
  await new Promise((r) => setTimeout(r, 300));
  exchanges.length = 0;
  received.length = 0;
  const before = invocations.length;
  const master = i % 2 === 0 ? 'net2' : 'net1';
  const t0 = await send('HaEventsQueue', ROUTER, {
    type: 'ha.state',
    routerId: ROUTER,
    host: master,
    state: 'active',
    seq: ++seq,
  });
  const deadline = Date.now() + 10_000;
  while (
    (invocations.length === before || new Set(received.map((r) => r.host)).size < 4) &&
    Date.now() < deadline
  )
    await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  const rel = (t: number) => Math.round((t - t0) * 10) / 10;
  const fn = exchanges.filter((e) => e.start >= t0 - 1).sort((a, b) => a.start - b.start);
  const row: Record<string, number | string> = { i };
  const pickup = fn.find((e) => e.via === 'dynamo');
  row.first_dynamo_start = pickup ? rel(pickup.start) : Number.NaN;
  for (const [k, e] of fn.entries())
    if (e.op !== 'ReceiveMessage') row[`${k}:${e.via}:${e.op}`] = `${rel(e.start)}-${rel(e.end)}`;
  const sends = fn.filter((e) => e.op === 'SendMessageBatch');
  row.publish_start = sends.length ? rel(Math.min(...sends.map((e) => e.start))) : Number.NaN;
  row.publish_end = sends.length ? rel(Math.max(...sends.map((e) => e.end))) : Number.NaN;
  row.agents_received_first = received.length ? rel(Math.min(...received.map((r) => r.t))) : Number.NaN;
  row.agents_received_last = received.length ? rel(Math.max(...received.map((r) => r.t))) : Number.NaN;
  const inv = invocations.slice(before).find((x) => x.fn === 'ha-events');
  row.settled = inv ? rel(inv.t) : Number.NaN;
  const del = fn.find((e) => e.op === 'DeleteMessageBatch' && e.via === 'sqs');
  row.poller_delete_end = del ? rel(del.end) : Number.NaN;
  rows.push(row);
}
stop.abort();
await stack.stop();
await Promise.allSettled(loops);
const keys = [
  'first_dynamo_start',
  'publish_start',
  'publish_end',
  'agents_received_first',
  'agents_received_last',
  'settled',
  'poller_delete_end',
];
const warm = rows.slice(Math.min(5, Math.floor(rows.length / 3)));
const medians = Object.fromEntries(keys.map((k) => [k, median(warm.map((r) => Number(r[k])))]));
console.log(JSON.stringify(warm.at(-1), null, 1));
console.log('medians (ms after the ha.state was in SQS, warm failovers):', medians);
const result = {
  date: new Date().toISOString(),
  label,
  dynamoJit: jit,
  command: `npm run bench:ha-latency -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { cpus: os.cpus().length, node: process.version, load: os.loadavg() },
  failovers: n,
  warm: warm.length,
  medians,
  rows,
};
const dir = path.join(ROOT, 'tools/bench/results');
await mkdir(dir, { recursive: true });
await writeFile(path.join(dir, `ha-latency.${label}.json`), `${JSON.stringify(result, null, 2)}\n`);
await dynamoProxy.stop();
await sqsProxy.stop();
await servers.stop();
