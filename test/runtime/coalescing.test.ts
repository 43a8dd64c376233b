import path from 'node:path';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUT_DIR } from '../../scripts/build.mjs';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createReceiptStore } from '../../src/adapters/aws/dynamo-receipt-store.js';
import { dispatchPortEvents } from '../../src/app/dispatch.js';
import type { InboundEvent, PortEvent } from '../../src/contracts/events.js';
import { loadBundledHandler } from '../../tools/local/load-function.js';
import { lambdaContext } from '../../tools/local/poller.js';
import { functionEnv, sqsRecord } from '../support/lambda-batch.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * Coalescing through the esbuild bundles on DynamoDB Local and fauxqs (issue 15): one Lambda batch
 * of 10 port events of one network is one commit (the network's version moves by one), one
 * message to each agent the batch affects, and a receipt per record: the stale and the rejected
 * record of the batch are reported on their own while the others apply.
 */
const NETWORK = { id: 'cn1', name: 'cn1', networkType: 'vxlan' as const, segmentId: 321 };
const HOSTS = ['k1', 'k2', 'k3', 'k4'];

const message = (event: InboundEvent): WorkloadMessage => ({
  queue: event.type.startsWith('agent.') ? 'agent' : 'port',
  group: event.type.startsWith('agent.') ? (event as { host: string }).host : NETWORK.id,
  body: JSON.stringify(event),
  event,
});

const report = (host: string, i: number): InboundEvent => ({
  type: 'agent.report',
  v: 1,
  host,
  tunnelIp: `198.51.100.${21 + i}`,
  agentType: 'Open vSwitch agent',
  networkTypes: ['vxlan'],
  capabilities: { learning: true, arp: 'responder' },
  bootId: `${host}-boot`,
  revision: 1,
});

const vm = (n: number, host: string, revision = 1, mac = `fa:16:3e:00:0c:${10 + n}`): InboundEvent => ({
  type: 'port.upsert',
  v: 1,
  network: NETWORK,
  port: {
    id: `vm${n}`,
    networkId: NETWORK.id,
    mac,
    ips: [`10.9.0.${n}`],
    host,
    deviceOwner: 'compute:nova',
    deviceId: `i-${n}`,
    status: 'ACTIVE',
    dvrHosts: [],
    revision,
  },
});

describe('a batch of port events of one network', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'coal' });
  });
  afterAll(() => h?.stop());

  it('is one version and one message per affected agent, with a receipt per record', async () => {
    const setup = [...HOSTS.map(report), vm(1, 'k1', 2)].map(message);
    await h.send(setup);
    await h.converge(setup);
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const versionBefore = (await store.getNetworkState(NETWORK.id))?.version ?? 0;

    // fauxqs hands out one message of a FIFO group per receive (SQS returns up to 10), so the
    // poller never builds this batch: the bundle is invoked with it as Lambda would, records
    // built as the event source mapping does.
    const batch: InboundEvent[] = [
      vm(2, 'k2'),
      vm(1, 'k1', 1), // stale: vm1 is at revision 2
      vm(3, 'k3'),
      vm(4, 'k1', 1, 'fa:16:3e:00:0c:12'), // rejected: vm2's MAC, claimed earlier in this batch
      vm(5, 'k2'),
      vm(6, 'k3'),
      { type: 'port.delete', v: 1, portId: 'vm6', networkId: NETWORK.id, revision: 2 },
      vm(7, 'k1'),
      vm(2, 'k3', 2), // supersedes the first vm2 event
      vm(8, 'k2'),
    ];
    const records = batch.map((e, i) =>
      sqsRecord(`coalesce-${i}`, JSON.stringify(e), NETWORK.id, h.queue('port').arn),
    );
    const handler = await loadBundledHandler(path.join(OUT_DIR, 'port-events.mjs'), functionEnv(h));
    const received = h.agents.received.messages;
    const response = (await handler(
      { Records: records },
      lambdaContext('port-events', 'us-east-1', 30_000),
    )) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([]);
    const ids = records.map((r) => r.messageId);
    const valid = [...setup, ...batch.filter((_, i) => i !== 1 && i !== 3).map(message)];
    await h.converge(valid);
    expect(h.diff(valid)).toEqual([]);

    expect((await store.getNetworkState(NETWORK.id))?.version).toBe(versionBefore + 1);
    // Every host had a port change in the batch: one message each.
    expect(h.agents.received.messages - received).toBe(HOSTS.length - 1);

    const receipts = createReceiptStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const outcomes = [];
    for (const id of ids) {
      const r = await receipts.get(id);
      outcomes.push(r?.code ? `${r.outcome}:${r.code}` : r?.outcome);
    }
    expect(outcomes).toEqual([
      'applied',
      'stale',
      'applied',
      'rejected:duplicate_mac',
      'applied',
      'applied',
      'applied',
      'applied',
      'applied',
      'applied',
    ]);
  });

  it('fails every record of a group whose commit fails, and only that group', async () => {
    const other = { ...NETWORK, id: 'cn2', name: 'cn2', segmentId: 322 };
    const inOther = (n: number): InboundEvent => {
      const e = vm(n, HOSTS[n % 3] as string) as Extract<InboundEvent, { type: 'port.upsert' }>;
      return {
        ...e,
        network: other,
        port: { ...e.port, networkId: other.id, mac: `fa:16:3e:00:0d:${10 + n}` },
      };
    };
    const failing = [vm(11, 'k1'), vm(12, 'k2'), vm(13, 'k3')];
    const passing = [inOther(21), inOther(22)];
    const arn = h.queue('port').arn;
    const records = [
      ...failing.map((e, i) => sqsRecord(`fail-${i}`, JSON.stringify(e), NETWORK.id, arn)),
      ...passing.map((e, i) => sqsRecord(`pass-${i}`, JSON.stringify(e), other.id, arn)),
    ];
    // The order SQS gives: the groups interleaved.
    const batch = [records[0], records[3], records[1], records[4], records[2]] as SQSRecord[];
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const versionBefore = (await store.getNetworkState(NETWORK.id))?.version;
    // A seam (as the local stack's fault injector attaches one) fails cn1's commit: a transient error.
    const handler = await loadBundledHandler(path.join(OUT_DIR, 'port-events.mjs'), functionEnv(h), {
      wrapStore: (inner) => ({
        ...inner,
        async commit(c) {
          if (c.networks.some((w) => w.value.network.id === NETWORK.id))
            throw new Error('injected: throttled');
          return inner.commit(c);
        },
      }),
    });
    const response = (await handler(
      { Records: batch },
      lambdaContext('port-events', 'us-east-1', 30_000),
    )) as SQSBatchResponse;
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'fail-0',
      'fail-1',
      'fail-2',
    ]);
    expect((await store.getNetworkState(NETWORK.id))?.version).toBe(versionBefore);
    expect((await store.getNetworkState(other.id))?.version).toBe(1);
    for (const p of ['vm11', 'vm12', 'vm13']) expect(await store.getPort(p, NETWORK.id)).toBeUndefined();
    for (const p of ['vm21', 'vm22']) expect((await store.getPort(p, other.id))?.revision).toBe(1);
  });

  it('splits a group that would not fit one DynamoDB transaction, and every commit fits', async () => {
    const big = { ...NETWORK, id: 'cn3', name: 'cn3', segmentId: 323 };
    const events = Array.from({ length: 10 }, (_, n): PortEvent => {
      const e = vm(30 + n, HOSTS[n % 3] as string) as Extract<InboundEvent, { type: 'port.upsert' }>;
      const ips = Array.from({ length: 8 }, (_, j) => `10.93.${n}.${j + 1}`);
      return {
        ...e,
        network: big,
        port: { ...e.port, networkId: big.id, mac: `fa:16:3e:00:0e:${10 + n}`, ips },
      };
    });
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    let published = 0;
    const outcomes = await dispatchPortEvents(
      { store, publisher: { publish: async () => void published++ } },
      big.id,
      events,
    );
    expect(outcomes.map((o) => o.kind === 'result' && o.result.outcome)).toEqual(Array(10).fill('applied'));
    const version = (await store.getNetworkState(big.id))?.version ?? 0;
    expect(version).toBeGreaterThan(1);
    expect(published).toBe(version);
    expect((await store.listNetworkPorts(big.id)).length).toBe(10);
  });

  it('runs a group the store refuses as a whole record by record, rejecting no event for it', async () => {
    const net = { ...NETWORK, id: 'cn4', name: 'cn4', segmentId: 324 };
    const events = [41, 42, 43].map((n) => {
      const e = vm(n, HOSTS[n % 3] as string) as Extract<InboundEvent, { type: 'port.upsert' }>;
      return { ...e, network: net, port: { ...e.port, networkId: net.id, mac: `fa:16:3e:00:0f:${n}` } };
    });
    const records = events.map((e, i) =>
      sqsRecord(`whole-${i}`, JSON.stringify(e), net.id, h.queue('port').arn),
    );
    // A commit of more than one port is padded past DynamoDB's 100 items, so the bundle's own
    // store refuses it as a transaction past its limit would be (`limit_exceeded`).
    const pad = Array.from({ length: 100 }, (_, i) => ({ networkId: net.id, mac: `pad-${i}`, owner: null }));
    const handler = await loadBundledHandler(path.join(OUT_DIR, 'port-events.mjs'), functionEnv(h), {
      wrapStore: (inner) => ({
        ...inner,
        commit: (c) => inner.commit(c.ports.length > 1 ? { ...c, macs: [...c.macs, ...pad] } : c),
      }),
    });
    const response = (await handler(
      { Records: records },
      lambdaContext('port-events', 'us-east-1', 30_000),
    )) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([]);
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    expect((await store.getNetworkState(net.id))?.version).toBe(3);
    const receipts = createReceiptStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    for (const r of records) expect((await receipts.get(r.messageId))?.outcome).toBe('applied');
  });
});
