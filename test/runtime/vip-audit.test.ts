import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../../src/adapters/aws/dynamo-audit-store.js';
import { decodeBlob, encodeBlob } from '../../src/adapters/aws/dynamo-codec.js';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import type { AgentTable, Entry } from '../../src/core/types.js';
import { computeSimAuditEvents } from '../../tools/sim/sim-audit.js';
import { agentReport, message, portUpsert, vipClaim } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * The drift audit of a network holding VIPs with entries (docs/drift-audit.md, "Shared unicast
 * entries"), through the bundled handlers on DynamoDB Local and fauxqs: a plain VIP announced with
 * its owner port's MAC (its unicast entry is the port's) and two VIPs announced with one virtual
 * MAC (one VRRP instance: one unicast entry) are audited `match`, not `unverifiable`, under
 * `master-binding`, after the VRRP instance fails over and after a flip to `auto`, and after the
 * plain VIP's owner port goes DOWN; an agent whose kernel lacks the VIPs' unicast entry
 * is found in drift and repaired. A state written before the table stays `unverifiable` with
 * VIPs until a rebuild.
 */
const NET = { id: 'net-vipaudit', networkType: 'vxlan', segmentId: 920 };
const HOSTS = ['w1', 'w2', 'w3'];
const VIPS = ['10.9.2.100', '10.9.2.101', '10.9.2.102'];
const VMAC = '00:00:5e:00:01:44';
const tunnel = (h: string) => `198.51.100.${HOSTS.indexOf(h) + 21}`;
const macOf = (n: number) => `fa:16:3e:09:02:0${n}`;

// no learning, an ARP proxy: the master-binding view, and ARP entries count in the digest
const report = (host: string) => agentReport(host, tunnel(host), true);
const port = (id: string, host: string, n: number, status: 'ACTIVE' | 'DOWN' = 'ACTIVE', revision = 1) =>
  portUpsert({
    network: NET.id,
    segmentId: NET.segmentId,
    id,
    mac: macOf(n),
    ip: `10.9.2.${10 + n}`,
    host,
    status,
    revision,
    pairs: VIPS.map((ipAddress) => ({ ipAddress, macAddress: VMAC })),
  });
const claim = (portId: string, host: string, ip: string, mac: string, at: number) =>
  vipClaim({ networkId: NET.id, host, portId, ip, mac, at });
const flags = (strategy: string, revision: number) =>
  message('ha', 'flags', {
    type: 'flags.set',
    flags: { defaultStrategy: strategy, rollout: null, networks: {}, routers: {} },
    revision,
  });

describe('the drift audit of a network holding VIPs', () => {
  let h: Harness;
  const workload: WorkloadMessage[] = [];
  beforeAll(async () => {
    h = await startHarness({ label: 'vipaudit' });
  });
  afterAll(() => h?.stop());

  let clock = 0;
  const tick = () => (clock = Math.max(clock + 1, Date.now()));
  const reportOf = (host: string): AgentReportEvent => {
    const e = workload.find((m) => m.event?.type === 'agent.report' && m.event.host === host)?.event;
    if (e?.type !== 'agent.report') throw new Error(`no report for ${host}`);
    return e;
  };
  const audit = async (hosts: readonly string[]) => {
    const readAt = tick();
    await h.send(
      hosts.flatMap((host) =>
        computeSimAuditEvents(h.agents.agents, reportOf(host), readAt).map((e) => message('agent', host, e)),
      ),
    );
    await h.converge(workload);
  };
  const records = () => createDynamoAuditStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
  const resultOf = async (host: string) => (await records().get(host))?.networks[NET.id]?.result;
  const go = async (more: WorkloadMessage[]) => {
    workload.push(...more);
    await h.send(more);
    await h.converge(workload);
    expect(h.diff(workload)).toEqual([]);
  };

  it('matches every agent after a plain VIP and two VIPs on one virtual MAC are claimed', async () => {
    await go([
      flags('master-binding', 1),
      ...HOSTS.map(report),
      port('pa', 'w1', 1),
      port('pb', 'w2', 2),
      port('pc', 'w3', 3),
    ]);
    const t = Date.now() - 5000;
    // a plain VIP (the port's own MAC, so the port's unicast entry), two VIPs on one virtual MAC
    await go([
      claim('pa', 'w1', VIPS[0] as string, macOf(1), t),
      claim('pa', 'w1', VIPS[1] as string, VMAC, t + 1),
      claim('pa', 'w1', VIPS[2] as string, VMAC, t + 2),
    ]);
    const table = h.agents.agents.table('w3', NET.id)[tunnel('w1')] ?? [];
    expect(table).toContainEqual([macOf(1), VIPS[0]]);
    expect(table).toContainEqual([VMAC, VIPS[1]]);
    expect(table).toContainEqual([VMAC, VIPS[2]]);
    await audit(HOSTS);
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
    // the VRRP instance fails over to w2: both VIPs of the virtual MAC move, one entry behind w2
    await go([
      claim('pb', 'w2', VIPS[1] as string, VMAC, t + 3),
      claim('pb', 'w2', VIPS[2] as string, VMAC, t + 4),
    ]);
    expect(h.agents.agents.table('w3', NET.id)[tunnel('w2')]).toContainEqual([VMAC, VIPS[1]]);
    await audit(HOSTS);
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
  });

  it('matches after a flip to auto, and finds and repairs an agent whose kernel lacks the shared entry', async () => {
    await go([flags('auto', 2)]);
    await audit(HOSTS);
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
    // w3 loses the virtual MAC behind w2 (both VIPs' rows: the one unicast FDB entry and their ARP entries)
    const t = h.agents.agents.table('w3', NET.id) as AgentTable as Record<string, Entry[]>;
    t[tunnel('w2')] = (t[tunnel('w2')] ?? []).filter(([mac]) => mac !== VMAC);
    expect(h.diff(workload)).not.toEqual([]);
    const from = h.agents.agents.log.length;
    await audit(HOSTS);
    expect(await resultOf('w3')).toBe('drift');
    expect(
      h.agents.agents.log
        .slice(from)
        .filter((r) => r.command.kind === 'snapshot')
        .map((r) => r.host),
    ).toEqual(['w3']);
    expect(h.diff(workload)).toEqual([]);
    await audit(['w3']);
    expect(await resultOf('w3')).toBe('match');
  });

  it('matches when the owner port of the plain VIP goes DOWN: the VIP alone holds the entry of its MAC then', async () => {
    await go([port('pa', 'w1', 1, 'DOWN', 2)]);
    const table = h.agents.agents.table('w3', NET.id)[tunnel('w1')] ?? [];
    expect(table).toContainEqual([macOf(1), VIPS[0]]);
    expect(table).not.toContainEqual([macOf(1), '10.9.2.11']);
    await audit(HOSTS);
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
  });

  it('a network whose state predates the table of shared entries is unverifiable with VIPs, and a rebuild makes it match', async () => {
    // the state item as a build before the table wrote it: no `vipKeys` in its body
    const doc = h.stack.clients.doc;
    const key = KEYS.networkState(NET.id);
    const item = (
      await doc.send(new GetCommand({ TableName: h.stack.tableName, Key: key, ConsistentRead: true }))
    ).Item;
    const { vipKeys, ...body } = decodeBlob(item?.body as Uint8Array) as Record<string, unknown>;
    expect(vipKeys).toBeDefined();
    await doc.send(
      new UpdateCommand({
        TableName: h.stack.tableName,
        Key: key,
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': encodeBlob(body) },
      }),
    );
    // a claim then marks the network not comparable (`vd`): its sums count every copy
    await go([claim('pb', 'w2', VIPS[0] as string, macOf(2), Date.now())]);
    await audit(HOSTS);
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('unverifiable');
    await go([message('port', NET.id, { type: 'network.rebuild', networkId: NET.id })]);
    await audit(HOSTS);
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
  });
});
