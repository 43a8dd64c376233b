import path from 'node:path';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUT_DIR } from '../../scripts/build.mjs';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createReceiptStore } from '../../src/adapters/aws/dynamo-receipt-store.js';
import { loadBundledHandler } from '../../tools/local/load-function.js';
import { lambdaContext } from '../../tools/local/poller.js';
import { functionEnv, sqsRecord } from '../support/lambda-batch.js';
import { agentReport, agentResync, flagsSet, vipClaim, vmPortUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * VIP claims through the bundled handlers (esbuild bundles behind their pollers, DynamoDB Local,
 * fauxqs, simulated agents as strict as the reference agent): under master-binding every agent
 * ends with the VIP bound to the newest claim's MAC behind its owner, whatever the duplicates,
 * and the tables equal the fact oracle's (which folds the claims independently).
 */
const NET = { id: 'net-vip', networkType: 'vxlan', segmentId: 910 };
const VIP = '10.9.0.100';
const VMAC = '00:00:5e:00:01:33';
const HOSTS = ['v1', 'v2', 'v3', 'v4'];
const tunnel = (h: string) => `198.51.100.${HOSTS.indexOf(h) + 1}`;

const report = (host: string) => agentReport(host, tunnel(host), true);
const port = (id: string, host: string, n: number, pairMac?: string) =>
  vmPortUpsert(NET, {
    id,
    mac: `fa:16:3e:09:00:0${n}`,
    ips: [`10.9.0.${10 + n}`],
    host,
    revision: 1,
    allowedAddressPairs: [{ ipAddress: VIP, ...(pairMac ? { macAddress: pairMac } : {}) }],
  });
const claim = (portId: string, host: string, mac: string, at: number): WorkloadMessage =>
  vipClaim({ host, networkId: NET.id, portId, ip: VIP, mac, at });

describe('vip.claim through the bundled handlers', () => {
  let h: Harness;
  /** What the cases sent so far, in order: each goes on from it, and its oracle folds it too. */
  let history: WorkloadMessage[] = [];
  const snapshotsTo = (host: string) =>
    h.agents.agents.log.filter((r) => r.host === host && r.command.kind === 'snapshot').length;
  beforeAll(async () => {
    h = await startHarness({ label: 'vipclaim' });
  });
  afterAll(() => h?.stop());

  it('binds the VIP on every agent to the newest claim, with duplicates, and matches the oracle', async () => {
    const setup = [
      flagsSet('master-binding'),
      ...HOSTS.map(report),
      port('pa', 'v1', 1, VMAC),
      port('pb', 'v2', 2, VMAC),
      port('pc', 'v3', 3),
    ];
    const t = Date.now();
    const ready = await h.deliver([], setup);
    const first = await h.deliver(ready, [claim('pa', 'v1', VMAC, t - 5000)], 2);
    expect(h.agents.agents.table('v3', NET.id)[tunnel('v1')]).toContainEqual([VMAC, VIP]);
    const all = await h.deliver(first, [claim('pb', 'v2', VMAC, t - 4000)], 2);
    history = all;
    expect(h.diff(all)).toEqual([]);
    expect(h.agents.agents.table('v3', NET.id)[tunnel('v2')]).toContainEqual([VMAC, VIP]);
    expect(h.agents.agents.table('v3', NET.id)[tunnel('v1')] ?? []).not.toContainEqual([VMAC, VIP]);
    expect(h.agents.agents.table('v1', NET.id)[tunnel('v2')]).toContainEqual([VMAC, VIP]);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    expect(h.agents.received.gaps).toBe(0);
  });

  // Snapshots are not stored: they are regenerated from the facts when a committed outbox record
  // is read back, after a crash between the commit and the publication (docs/data-model.md). A
  // regenerated snapshot must carry the VIP's binding too, or a host that joins, or an agent that
  // restarts, after the claim would miss it. Every invocation that commits dies right after its
  // commit here, so every snapshot goes out from the read-back.
  it('gives a host that joins after the claims, and an agent that restarts, the VIP binding in snapshots regenerated after a crash', async () => {
    expect(history.length).toBeGreaterThan(0);
    await h.restart({ L2POP_FAULTS: 'after-commit=1', L2POP_FAULT_SEED: '3' });
    const crashes = () =>
      h.invocations.filter((i) => (i.outcome.error as Error | undefined)?.name === 'FaultInjectedError')
        .length;
    const join = [report('v4'), port('pd', 'v4', 4)];
    await h.send(join);
    const afterJoin = [...history, ...join];
    await h.converge(afterJoin, 60_000);
    expect(crashes()).toBeGreaterThan(0);
    expect(snapshotsTo('v4')).toBeGreaterThan(0);
    expect(h.agents.agents.table('v4', NET.id)[tunnel('v2')]).toContainEqual([VMAC, VIP]);
    // v3 restarts: it forgets its tables and asks for everything again
    h.agents.agents.reset('v3');
    const before = { snapshots: snapshotsTo('v3'), crashes: crashes() };
    const resync = [agentResync('v3', NET.id)];
    await h.send(resync);
    const all = [...afterJoin, ...resync];
    await h.converge(all, 60_000);
    expect(crashes()).toBeGreaterThan(before.crashes);
    expect(snapshotsTo('v3')).toBeGreaterThan(before.snapshots);
    expect(h.diff(all)).toEqual([]);
    expect(h.agents.agents.table('v3', NET.id)[tunnel('v2')]).toContainEqual([VMAC, VIP]);
    history = all;
    await h.restart(undefined);
  });

  it('commits a batch of claims of one network once through the agent-events bundle, a receipt per record', async () => {
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const versionBefore = (await store.getNetworkState(NET.id))?.version ?? 0;
    const t = Date.now();
    // One host's burst (its FIFO group), then a report of another host: the report runs alone.
    const batch = [
      claim('pa', 'v1', VMAC, t - 3000), // moves the VIP back to pa
      claim('pa', 'v1', VMAC, t - 3000), // the same claim again: stale
      claim('pc', 'v1', 'fa:16:3e:09:00:03', t - 2900), // pc is bound to v3: refused
      claim('pa', 'v1', VMAC, t - 2800), // a refresh by the owner
      report('v3'),
    ];
    const arn = h.queue('agent').arn;
    const records = batch.map((m, i) => sqsRecord(`vipbatch-${i}`, m.body, m.group, arn));
    const handler = await loadBundledHandler(path.join(OUT_DIR, 'agent-events.mjs'), functionEnv(h));
    const received = h.agents.received.messages;
    const response = (await handler(
      { Records: records },
      lambdaContext('agent-events', 'us-east-1', 60_000),
    )) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([]);
    const receipts = createReceiptStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const outcomes = [];
    for (const r of records.slice(0, 4)) {
      const got = await receipts.get(r.messageId);
      outcomes.push(got?.code ? `${got.outcome}:${got.code}` : got?.outcome);
    }
    expect(outcomes).toEqual(['applied', 'stale', 'rejected:vip_port_not_on_host', 'applied']);
    const valid = [...history, ...batch.filter((_, i) => i !== 2)];
    await h.converge(valid);
    expect(h.diff(valid)).toEqual([]);
    // One move: one version, one message per agent.
    expect((await store.getNetworkState(NET.id))?.version).toBe(versionBefore + 1);
    expect(h.agents.received.messages - received).toBe(HOSTS.length);
    const [vip] = await store.listNetworkVips(NET.id);
    expect(vip?.state.owner).toMatchObject({ portId: 'pa', host: 'v1', at: t - 2800 });
    expect(h.agents.agents.table('v3', NET.id)[tunnel('v1')]).toContainEqual([VMAC, VIP]);
  });

  it('fails every claim of a group whose commit fails, and only that group', async () => {
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const before = await store.listNetworkVips(NET.id);
    const t = Date.now();
    const arn = h.queue('agent').arn;
    const claims = [claim('pb', 'v2', VMAC, t - 1000), claim('pb', 'v2', VMAC, t - 900)];
    const records = [
      ...claims.map((m, i) => sqsRecord(`vipfail-${i}`, m.body, m.group, arn)),
      sqsRecord('vipfail-other', report('v3').body, 'v3', arn),
    ];
    // A seam (as the local stack's fault injector attaches one) fails the claims' commit.
    const handler = await loadBundledHandler(path.join(OUT_DIR, 'agent-events.mjs'), functionEnv(h), {
      wrapStore: (inner) => ({
        ...inner,
        async commit(c) {
          if ((c.vips ?? []).length > 0) throw new Error('injected: throttled');
          return inner.commit(c);
        },
      }),
    });
    const response = (await handler(
      { Records: [records[0], records[2], records[1]] as SQSRecord[] },
      lambdaContext('agent-events', 'us-east-1', 60_000),
    )) as SQSBatchResponse;
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'vipfail-0',
      'vipfail-1',
    ]);
    expect(await store.listNetworkVips(NET.id)).toEqual(before);
  });
});
