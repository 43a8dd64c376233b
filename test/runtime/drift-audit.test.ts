import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../../src/adapters/aws/dynamo-audit-store.js';
import type { AuditStore } from '../../src/app/audit-ports.js';
import { onAgentAudit } from '../../src/app/on-agent-audit.js';
import type { CommandPublisher, FactStore } from '../../src/app/ports.js';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import { computeHoldsArp, digestsEqual } from '../../src/core/digest.js';
import { computeStoredDesiredDigest } from '../../src/core/digest-change.js';
import { parseHostDigestRecord, parseNetworkDigestRecord } from '../../src/core/digest-record.js';
import type { AgentTable, Entry } from '../../src/core/types.js';
import { computeSimAuditEvents } from '../../tools/sim/sim-audit.js';
import { agentReport, message, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * The drift audit end to end (docs/drift-audit.md, "Controller comparison and repair"): simulated
 * agents on their real queues send `agent.audit` to the bundled agent-events function, on DynamoDB
 * Local and fauxqs. A table corrupted behind the controller's back is detected from the sum
 * records and repaired by a snapshot to that agent alone; duplicates, reordering and audits during
 * in-flight commands repair nothing.
 */
const NET = 'net-audit';
const HOSTS = ['a1', 'a2', 'a3'];
const ip = (i: number) => `198.51.100.${10 + i}`;

let h: Harness;
const workload: WorkloadMessage[] = [];
beforeAll(async () => {
  h = await startHarness({ label: 'audit' });
  HOSTS.forEach((host, i) => {
    workload.push(agentReport(host, ip(i)));
    for (let p = 0; p < 2; p++)
      workload.push(
        portUpsert({
          network: NET,
          segmentId: 700,
          id: `p-${host}-${p}`,
          mac: `fa:16:3e:00:0${i}:0${p}`,
          ip: `10.7.${i}.${p + 1}`,
          host,
        }),
      );
  });
  // a port with two fixed IPs: one unicast FDB entry, two ARP entries
  workload.push(
    message('port', NET, {
      type: 'port.upsert',
      network: { id: NET, networkType: 'vxlan', segmentId: 700 },
      port: {
        id: 'p-a3-two',
        networkId: NET,
        mac: 'fa:16:3e:00:03:22',
        ips: ['10.7.3.1', '10.7.3.2'],
        deviceOwner: 'compute:nova',
        deviceId: 'vm-two',
        host: 'a3',
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
      },
    }),
  );
  await h.send(workload);
  await h.converge(workload);
});
afterAll(() => h?.stop());

const reportOf = (host: string): AgentReportEvent => {
  const e = workload.find((m) => m.event?.type === 'agent.report' && m.event.host === host)?.event;
  if (e?.type !== 'agent.report') throw new Error(`no report for ${host}`);
  return e;
};

let clock = 0;
/** The agents' clock: now, and strictly increasing. */
const tick = () => (clock = Math.max(clock + 1, Date.now()));
/** Each simulated agent reads its table and sends its audit; returns the audit messages sent. */
async function audit(hosts: readonly string[], copies = 1, readAt = tick()): Promise<WorkloadMessage[]> {
  const sent = hosts.flatMap((host) =>
    computeSimAuditEvents(h.agents.agents, reportOf(host), readAt).map((e) => message('agent', host, e)),
  );
  await h.send(sent, copies);
  return sent;
}

/** Waits for the agent-events queue to drain, the agents to apply what came, and the queue again. */
async function settle(): Promise<void> {
  await h.converge(workload);
}

const records = () => createDynamoAuditStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
const resultOf = async (host: string) => (await records().get(host))?.networks[NET]?.result;
/** Commands the agents received since `from` (the table agents' log), by host. */
const receivedSince = (from: number) =>
  h.agents.agents.log.slice(from).map((r) => `${r.host}:${r.command.kind}`);
/**
 * A repair: a snapshot to `host` alone. It moves the network to the next version, and every member
 * hears of every version (docs/data-model.md, "Constant write capacity in hosts"), so each other
 * agent gets that version's step: a delta with no payload.
 */
function expectRepairOf(host: string, from: number): void {
  const got = h.agents.agents.log.slice(from);
  expect(got.filter((r) => r.command.kind === 'snapshot').map((r) => r.host)).toEqual([host]);
  const others = got.filter((r) => r.host !== host);
  expect(others.map((r) => r.host).sort()).toEqual(HOSTS.filter((x) => x !== host).sort());
  for (const r of others) expect(r.command).toMatchObject({ kind: 'delta', payloads: [] });
}

function corrupt(host: string, edit: (table: Record<string, Entry[]>) => void): void {
  const table = h.agents.agents.table(host, NET) as AgentTable as Record<string, Entry[]>;
  edit(table);
  expect(h.diff(workload)).not.toEqual([]);
}

describe('the drift audit through the bundled handlers', () => {
  it('matches every agent of a converged network and sends nothing', async () => {
    const from = h.agents.agents.log.length;
    await audit(HOSTS);
    await settle();
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
    expect(receivedSince(from)).toEqual([]);
  });

  it.each([
    [
      'a unicast entry deleted',
      (t: Record<string, Entry[]>) => {
        const vtep = ip(1);
        t[vtep] = (t[vtep] ?? []).filter(([mac]) => mac !== 'fa:16:3e:00:01:00');
      },
    ],
    [
      'a stray entry added',
      (t: Record<string, Entry[]>) => {
        (t[ip(2)] ??= []).push(['fa:16:3e:99:99:99', '10.7.9.9']);
      },
    ],
    [
      'an ARP entry dropped (its MAC keeps its FDB entry through the other IP)',
      (t: Record<string, Entry[]>) => {
        const vtep = ip(2);
        t[vtep] = (t[vtep] ?? []).filter(([, addr]) => addr !== '10.7.3.2');
      },
    ],
  ])(
    'detects %s and repairs it with a snapshot to that agent alone (the others: the version step)',
    async (_name, edit) => {
      corrupt('a1', edit);
      const from = h.agents.agents.log.length;
      await audit(HOSTS);
      await settle();
      expect(h.diff(workload)).toEqual([]);
      expectRepairOf('a1', from);
      expect(await resultOf('a1')).toBe('drift');
      for (const host of ['a2', 'a3']) expect(await resultOf(host), host).toBe('match');
      // the next audit finds it repaired
      await audit(['a1']);
      await settle();
      expect(await resultOf('a1')).toBe('match');
    },
  );

  it('repairs once for a duplicated audit, and ignores an audit read before the last one', async () => {
    corrupt('a2', (t) => {
      delete t[ip(0)];
    });
    const from = h.agents.agents.log.length;
    const readAt = tick();
    await audit(['a2'], 3, readAt);
    await settle();
    expectRepairOf('a2', from);
    const after = await records().get('a2');
    expect(after?.networks[NET]).toMatchObject({ result: 'drift', readAt, repairs: 1 });
    // an older reading arriving late changes nothing, even with a corrupt table
    corrupt('a2', (t) => {
      delete t[ip(0)];
    });
    const late = h.agents.agents.log.length;
    await audit(['a2'], 1, readAt - 1);
    await h.converge([]);
    expect(receivedSince(late)).toEqual([]);
    expect((await records().get('a2'))?.revision).toBe(after?.revision);
    await audit(['a2']);
    await settle();
    expect(h.diff(workload)).toEqual([]);
  });

  it('raises nothing for audits taken while commands are in flight', async () => {
    const more: WorkloadMessage[] = HOSTS.map((host, i) =>
      portUpsert({
        network: NET,
        segmentId: 700,
        id: `p-${host}-new`,
        mac: `fa:16:3e:00:0${i}:09`,
        ip: `10.7.${i}.9`,
        host,
      }),
    );
    workload.push(...more);
    const from = h.agents.agents.log.length;
    await h.send(more);
    // the port events commit, but no agent has read its queue yet: every audit reports an old version
    for (let i = 0; i < 600 && (await h.depth(h.queue('port').url)) > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    await audit(HOSTS);
    for (let i = 0; i < 600 && (await h.depth(h.queue('agent').url)) > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('lagging');
    await settle();
    expect(receivedSince(from).filter((c) => !c.endsWith(':delta'))).toEqual([]);
    await audit(HOSTS);
    await settle();
    for (const host of HOSTS) expect(await resultOf(host), host).toBe('match');
  });

  it('reads an audit again when the host record is newer than the network record (a torn read)', async () => {
    // One BatchGetItem is not a snapshot (test/runtime/torn-network-read.test.ts): the host's sum
    // record may come from a commit the network record does not include yet. The tear is injected
    // into the real store's first read: the host record as a later commit would leave it.
    const real = records();
    let reads = 0;
    let tampered:
      | { net: ReturnType<typeof parseNetworkDigestRecord>; host: ReturnType<typeof parseHostDigestRecord> }
      | undefined;
    const tearing: AuditStore = {
      ...real,
      async read(host, networkIds) {
        const r = await real.read(host, networkIds);
        if (reads++ > 0) return r;
        const net = r.networks.get(NET);
        const mine = r.hosts.get(NET);
        if (!net || !mine) throw new Error('no sum records to tear');
        const later = { ...mine, v: Number(net.v) + 1, own_nf: Number(mine.own_nf ?? 0) + 1 };
        tampered = { net: parseNetworkDigestRecord(net), host: parseHostDigestRecord(later) };
        return { ...r, hosts: new Map([...r.hosts, [NET, later]]) };
      },
    };
    const unused = new Proxy(
      {},
      { get: () => () => Promise.reject(new Error('an audit that matches writes no fact')) },
    );
    const [event] = computeSimAuditEvents(h.agents.agents, reportOf('a1'), tick());
    if (event?.type !== 'agent.audit') throw new Error('no audit event');
    const result = await onAgentAudit(
      { store: unused as FactStore, publisher: unused as CommandPublisher, audits: { store: tearing } },
      event,
    );
    // the torn pair alone would have been a drift: its desired digest is not what a1 holds
    const reported = event.networks.find((n) => n.networkId === NET);
    if (!tampered || !reported) throw new Error('the tear was not injected');
    const tornDesired = computeStoredDesiredDigest(
      tampered.net,
      tampered.host,
      computeHoldsArp(reportOf('a1').capabilities),
    );
    expect(tornDesired && digestsEqual(tornDesired, { sum: reported.sum, counts: reported.counts })).toBe(
      false,
    );
    expect(reads).toBe(2);
    expect(result.audits).toEqual([{ host: 'a1', networkId: NET, result: 'match', repaired: false }]);
  });
});
