import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../../src/adapters/aws/dynamo-audit-store.js';
import { encodeBlob } from '../../src/adapters/aws/dynamo-codec.js';
import { type Item, toPortItem } from '../../src/adapters/aws/dynamo-items.js';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import { createRejectedStore } from '../../src/adapters/aws/dynamo-rejected-store.js';
import { main } from '../../src/cli/main.js';
import { writeStackFile } from '../../src/cli/stack-file.js';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import { toNetwork, toPort } from '../../src/contracts/parse.js';
import type { AgentTable, Entry } from '../../src/core/types.js';
import { computeSimAuditEvents } from '../../tools/sim/sim-audit.js';
import { captureOutput, type EmfBlob } from '../support/emf.js';
import { agentReport, message, vmPortUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * `network.rebuild` through the bundled port-events function on DynamoDB Local and fauxqs, with
 * simulated agents on their queues (docs/operations.md, "Rebuilding a network"): a network whose
 * overlap indexes are missing (its ports recorded before them) gets them back, after which the
 * port events report an overlapping pair they missed before (and record it, D18); an overlap
 * recorded meanwhile is reported by the rebuild (WARN line, `AapOverlapsFound`) and left in place; sums marked incomplete audit
 * `match` afterwards; a duplicated rebuild is harmless; every agent equals the fact oracle.
 */
const NET = 'net-rb';
const SEG = 710;
const HOSTS = ['a1', 'a2', 'a3'];
const tunnel = (i: number) => `198.51.100.${30 + i}`;

interface PortSpec {
  readonly id: string;
  readonly host: string;
  readonly ips: readonly string[];
  readonly mac: string;
  readonly pairs?: readonly string[];
}

const port = (p: PortSpec, revision = 1): WorkloadMessage =>
  message('port', NET, {
    type: 'port.upsert',
    network: { id: NET, networkType: 'vxlan', segmentId: SEG },
    port: {
      id: p.id,
      networkId: NET,
      mac: p.mac,
      ips: p.ips,
      deviceOwner: 'compute:nova',
      deviceId: `vm-${p.id}`,
      host: p.host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision,
      ...(p.pairs ? { allowedAddressPairs: p.pairs.map((ipAddress) => ({ ipAddress })) } : {}),
    },
  });
const rebuildOf = (networkId: string) => message('port', networkId, { type: 'network.rebuild', networkId });

let h: Harness;
let output: ReturnType<typeof captureOutput>;
const workload: WorkloadMessage[] = [];

beforeAll(async () => {
  output = captureOutput();
  h = await startHarness({
    label: 'rebuild',
    env: { POWERTOOLS_METRICS_DISABLED: 'false', L2POP_LOG_LEVEL: 'WARN' },
  });
  HOSTS.forEach((host, i) => {
    workload.push(agentReport(host, tunnel(i)));
    for (let p = 0; p < 2; p++)
      workload.push(
        port({ id: `p-${host}-${p}`, host, ips: [`10.8.${i}.${p + 1}`], mac: `fa:16:3e:08:0${i}:0${p}` }),
      );
  });
  // a VIP-style port: a bare pair and a prefix pair, neither covering a fixed IP
  workload.push(
    port({
      id: 'p-vip',
      host: 'a3',
      ips: ['10.8.9.200'],
      mac: 'fa:16:3e:08:09:00',
      pairs: ['10.8.9.100', '10.8.9.0/28'],
    }),
  );
  await h.send(workload);
  await h.converge(workload);
});
afterAll(async () => {
  await h?.stop();
  output?.restore();
});

const doc = () => h.stack.clients.doc;
/** The network's overlap-index items (`heldx:` owners, pair holders, prefix pairs), sorted by key. */
async function indexItems(networkId = NET): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const prefix of ['MAC#heldx:', 'AAP#', 'PREFIXPAIRS']) {
    const res = await doc().send(
      new QueryCommand({
        TableName: h.stack.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `NET#${networkId}`, ':p': prefix },
      }),
    );
    out.push(...(res.Items ?? []));
  }
  return out.filter((i) => Object.keys(i).length > 2);
}

async function deleteIndexItems(): Promise<void> {
  const items = await indexItems();
  await doc().send(
    new BatchWriteCommand({
      RequestItems: {
        [h.stack.tableName]: items.map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } })),
      },
    }),
  );
}

const rejected = () => createRejectedStore({ client: doc(), tableName: h.stack.tableName }).list();
const audits = () => createDynamoAuditStore({ client: doc(), tableName: h.stack.tableName });
const reportOf = (host: string): AgentReportEvent => {
  const e = workload.find((m) => m.event?.type === 'agent.report' && m.event.host === host)?.event;
  if (e?.type !== 'agent.report') throw new Error(`no report for ${host}`);
  return e;
};
let clock = 0;
async function auditResults(hosts: readonly string[]): Promise<(string | undefined)[]> {
  clock = Math.max(clock + 1, Date.now());
  const sent = hosts.flatMap((host) =>
    computeSimAuditEvents(h.agents.agents, reportOf(host), clock).map((e) => message('agent', host, e)),
  );
  await h.send(sent);
  await h.converge(workload);
  return Promise.all(hosts.map(async (host) => (await audits().get(host))?.networks[NET]?.result));
}

/** Sends `messages` (valid or not) and waits until the agents hold the oracle's tables of `workload`. */
async function run(messages: readonly WorkloadMessage[]): Promise<void> {
  await h.send(messages);
  await h.converge(workload);
}

const metricValues = (name: string, eventType?: string) =>
  output
    .emf()
    .filter((b: EmfBlob) => b.metrics.includes(name) && (!eventType || b.values.eventType === eventType))
    .map((b) => b.values[name]);
/** The `aap overlap:` WARN lines of one event type. */
const overlapLines = (eventType: string) =>
  output
    .logs()
    .filter(
      (l) =>
        typeof l.message === 'string' && l.message.startsWith('aap overlap:') && l.eventType === eventType,
    );

describe('network.rebuild through the bundled port-events function', () => {
  it('gives back the overlap indexes of ports recorded before them: an overlap missed before is reported after', async () => {
    const complete = await indexItems();
    expect(complete.map((i) => i.sk)).toEqual(
      expect.arrayContaining(['MAC#heldx:4:0a080001', 'AAP#10.8.9.100', 'PREFIXPAIRS']),
    );
    await deleteIndexItems();
    expect(await indexItems()).toEqual([]);

    // without the indexes, a pair on another bound port's fixed IP is recorded unreported
    const accepted = port({
      id: 'p-over1',
      host: 'a2',
      ips: ['10.8.1.9'],
      mac: 'fa:16:3e:08:01:09',
      pairs: ['10.8.0.1'],
    });
    workload.push(accepted);
    await run([accepted]);
    expect((await rejected()).map((r) => r.code)).toEqual([]);
    expect(overlapLines('port.upsert')).toEqual([]);

    await run([rebuildOf(NET)]);
    const rebuilt = await indexItems();
    // everything the port events had written, plus p-over1's items (its own event wrote them)
    const ofOver1 = ['AAP#10.8.0.1', 'MAC#heldx:4:0a080109'];
    expect(rebuilt.filter((i) => !ofOver1.includes(String(i.sk)))).toEqual(complete);
    expect(rebuilt.find((i) => i.sk === 'AAP#10.8.0.1')).toMatchObject({ 'h#p-over1': true });
    expect(rebuilt.find((i) => i.sk === 'MAC#heldx:4:0a080109')).toMatchObject({ owner: 'p-over1' });

    // now the same kind of pair is recorded and reported, in both directions and for a prefix pair
    const more = [
      port({ id: 'p-over2', host: 'a1', ips: ['10.8.0.9'], mac: 'fa:16:3e:08:00:09', pairs: ['10.8.1.1'] }),
      port({ id: 'p-over3', host: 'a1', ips: ['10.8.9.5'], mac: 'fa:16:3e:08:00:0a' }),
      port({
        id: 'p-over4',
        host: 'a1',
        ips: ['10.8.0.11'],
        mac: 'fa:16:3e:08:00:0b',
        pairs: ['10.8.2.0/24'],
      }),
    ];
    workload.push(...more);
    await run(more);
    expect((await rejected()).map((r) => r.code)).toEqual([]);
    expect(overlapLines('port.upsert').map((l) => [l.aapPort, l.pair, l.fixedPort, l.code])).toEqual([
      ['p-over2', '10.8.1.1', 'p-a2-0', 'aap_overlaps_fixed_ip'],
      ['p-vip', '10.8.9.0/28', 'p-over3', 'aap_overlaps_fixed_ip'],
      ['p-over4', '10.8.2.0/24', 'p-a3-0', 'aap_overlaps_fixed_ip'],
    ]);
  });

  it('reports the overlap it finds and leaves both ports in place', async () => {
    const warned = overlapLines('network.rebuild');
    expect(warned.map((l) => l.message)).toEqual([
      `aap overlap: pair 10.8.0.1 of port p-over1 covers fixed IP 10.8.0.1 of port p-a1-0 in network ${NET}`,
    ]);
    expect(warned[0]).toMatchObject({
      aapPort: 'p-over1',
      fixedPort: 'p-a1-0',
      ip: '10.8.0.1',
      level: 'WARN',
    });
    expect(metricValues('AapOverlapsFound', 'network.rebuild')).toEqual([1]);
    expect(metricValues('AapOverlapsFound', 'port.upsert')).toEqual([1, 1, 1]);
    // both ports still in the agents' tables (the oracle has them; converge checked it)
    const table = h.agents.agents.table('a1', NET) as AgentTable as Record<string, Entry[]>;
    expect(table[tunnel(1)]?.some(([, ip]) => ip === '10.8.1.9')).toBe(true);
  });

  it('makes a network whose sums were incomplete audit match', async () => {
    await doc().send(
      new UpdateCommand({
        TableName: h.stack.tableName,
        Key: KEYS.digest(NET),
        UpdateExpression: 'SET c = :f',
        ExpressionAttributeValues: { ':f': false },
      }),
    );
    expect(await auditResults(HOSTS)).toEqual(['unverifiable', 'unverifiable', 'unverifiable']);
    await run([rebuildOf(NET)]);
    expect(await auditResults(HOSTS)).toEqual(['match', 'match', 'match']);
  });

  it('repairs agents whose tables went wrong, and a duplicated rebuild changes nothing more', async () => {
    const indexes = await indexItems();
    const table = h.agents.agents.table('a2', NET) as AgentTable as Record<string, Entry[]>;
    delete table[tunnel(0)];
    expect(h.diff(workload)).not.toEqual([]);
    const from = h.agents.agents.log.length;
    await h.send([rebuildOf(NET)], 2);
    await h.converge(workload);
    expect(h.diff(workload)).toEqual([]);
    // two rebuilds: two versions, each a snapshot to every member
    const got = h.agents.agents.log.slice(from).map((r) => `${r.host}:${r.command.kind}`);
    expect(got.sort()).toEqual(HOSTS.flatMap((x) => [`${x}:snapshot`, `${x}:snapshot`]).sort());
    expect(await indexItems()).toEqual(indexes);
    expect(await auditResults(HOSTS)).toEqual(['match', 'match', 'match']);
    // the first rebuild's overlap, then p-over1..4's five, three times (the last one delivered twice)
    expect(metricValues('AapOverlapsFound', 'network.rebuild')).toEqual([1, 5, 5, 5]);
  });
});

/**
 * What the first engine (before 83dbfaf) left in the table: the same fact items (ports, pointers,
 * MAC and fixed-IP owners, agents), a state item whose body held the index and the per-host
 * "sent" map, no `HOSTS` item, presence items without `count`, no drift-audit sums and no overlap
 * indexes (docs/operations.md, "Upgrading from the first engine").
 */
async function seedFirstEngine(
  networkId: string,
  ports: readonly WorkloadMessage[],
  hosts: readonly string[],
) {
  const items: Item[] = [];
  const counts: Record<string, number> = {};
  const members: Record<string, unknown> = {};
  let network: ReturnType<typeof toNetwork> | undefined;
  for (const m of ports) {
    if (m.event?.type !== 'port.upsert') throw new Error('port.upsert only');
    network = toNetwork(m.event.network);
    const p = toPort(m.event);
    items.push(toPortItem(p, null), { ...KEYS.portPointer(p.id), networkId });
    items.push({ ...KEYS.mac(networkId, p.mac), owner: p.id });
    for (const ip of p.ips) items.push({ ...KEYS.mac(networkId, `ip:${ip}`), owner: p.id });
    counts[p.host] = (counts[p.host] ?? 0) + 1;
  }
  for (const [i, host] of hosts.entries()) members[host] = { tunnelIp: tunnel(10 + i), haView: 'tunnel' };
  // a host the first engine still counted, gone since: its presence item must go
  counts['b-gone'] = 1;
  for (const host of Object.keys(counts)) items.push({ ...KEYS.presence(host, networkId), networkId });
  items.push({
    ...KEYS.networkState(networkId),
    seq: 6,
    version: 4,
    outboxSeq: 6,
    network,
    body: encodeBlob({
      index: { counts, members },
      sent: Object.fromEntries(hosts.map((x) => [x, 4])),
      strategies: {},
    }),
  });
  items.push({ ...KEYS.published(networkId), seq: 6 });
  for (let i = 0; i < items.length; i += 25)
    await doc().send(
      new BatchWriteCommand({
        RequestItems: {
          [h.stack.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
}

const getItem = async (key: { pk: string; sk: string }) =>
  (await doc().send(new GetCommand({ TableName: h.stack.tableName, Key: key, ConsistentRead: true }))).Item;

describe('a network recorded by the first engine', () => {
  const V1 = 'net-v1';
  const B = ['b1', 'b2', 'b3'];
  const v1port = (id: string, host: string, i: number, pairs?: string[]) =>
    vmPortUpsert(
      { id: V1, networkType: 'vxlan', segmentId: 720 },
      {
        id,
        mac: `fa:16:3e:09:00:${i.toString(16).padStart(2, '0')}`,
        ips: [`10.9.0.${i + 1}`],
        host,
        revision: 1,
        ...(pairs ? { allowedAddressPairs: pairs.map((ipAddress) => ({ ipAddress })) } : {}),
      },
    );

  it('is converted by the rebuild: agents get their tables, then port events and audits work', async () => {
    const reports = B.map((host, i) => agentReport(host, tunnel(10 + i)));
    workload.push(...reports);
    await run(reports);
    const ports = B.flatMap((host, i) => [
      v1port(`q-${host}-0`, host, 2 * i),
      v1port(`q-${host}-1`, host, 2 * i + 1),
    ]);
    ports.push(v1port('q-vip', 'b3', 20, ['10.9.0.100']));
    await seedFirstEngine(V1, ports, B);
    workload.push(...ports);
    // the agents never got the network from this engine: the oracle wants tables they lack
    expect(h.diff(workload).filter((d) => d.includes(V1)).length).toBe(B.length);

    await run([rebuildOf(V1)]);
    expect(h.diff(workload)).toEqual([]);
    expect(await getItem(KEYS.networkHosts(V1))).toBeDefined();
    for (const host of B)
      expect(await getItem(KEYS.presence(host, V1))).toMatchObject({ count: host === 'b3' ? 3 : 2 });
    expect(await getItem(KEYS.presence('b-gone', V1))).toBeUndefined();
    expect(await getItem(KEYS.digest(V1))).toMatchObject({ c: true, v: 5 });
    expect(await getItem(KEYS.pairHolders(V1, '10.9.0.100'))).toMatchObject({ 'h#q-vip': true });

    // the incremental path works on the converted network: a new port, a port deleted, an overlap reported
    const more = [
      v1port('q-b1-9', 'b1', 9),
      message('port', V1, { type: 'port.delete', portId: 'q-b2-1', networkId: V1, revision: 2 }),
    ];
    workload.push(...more);
    await run(more);
    expect(h.diff(workload)).toEqual([]);
    expect(await getItem(KEYS.presence('b2', V1))).toMatchObject({ count: 1 });
    const before = (await rejected()).length;
    const reported = overlapLines('port.upsert').length;
    const over = v1port('q-over', 'b1', 40, ['10.9.0.1']);
    workload.push(over);
    await run([over]);
    expect(h.diff(workload)).toEqual([]);
    expect((await rejected()).slice(before)).toEqual([]);
    expect(
      overlapLines('port.upsert')
        .slice(reported)
        .map((l) => [l.aapPort, l.pair, l.code]),
    ).toEqual([['q-over', '10.9.0.1', 'aap_overlaps_fixed_ip']]);

    clock = Math.max(clock + 1, Date.now());
    const sent = B.flatMap((host) =>
      computeSimAuditEvents(h.agents.agents, reportOf(host), clock).map((e) => message('agent', host, e)),
    );
    await run(sent);
    for (const host of B) expect((await audits().get(host))?.networks[V1]?.result, host).toBe('match');
  });
});

describe('l2pop rebuild', () => {
  it('--all lists the networks with a Scan and rebuilds each in its FIFO group', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'l2pop-rebuild-'));
    const file = path.join(dir, 'stack.json');
    await writeStackFile(file, {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stackName: h.stack.tableName.replace(/-state$/, ''),
      tableName: h.stack.tableName,
      region: 'us-east-1',
      endpoints: h.stack.endpoints,
      queues: {
        PortEventsQueue: h.queue('port').url,
        HaEventsQueue: h.queue('ha').url,
        AgentEventsQueue: h.queue('agent').url,
      },
      agentQueuePrefix: h.local.agentQueuePrefix,
      defaultStrategy: 'tunnel',
      agentStateDir: null,
      dataDir: null,
    });
    const version = async (id: string) => Number((await getItem(KEYS.networkState(id)))?.version);
    const before = [await version(NET), await version('net-v1')];
    let out = '';
    let err = '';
    const code = await main(
      ['node', 'l2pop', 'rebuild', '--all', '--stack-file', file],
      (s) => void (out += s),
      (s) => void (err += s),
    );
    expect(code).toBe(0);
    expect(err).toContain('table Scan');
    expect(out).toContain(`rebuild sent: ${NET}\nrebuild sent: net-v1\n`);
    expect(out).toContain('sent 2 rebuild events');
    await h.converge(workload);
    expect([await version(NET), await version('net-v1')]).toEqual(before.map((v) => v + 1));
  });
});
