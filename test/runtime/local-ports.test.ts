import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { boundPortsOf } from '../support/bound-ports.js';
import { agentReport, agentResync, portDelete, vmPortUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * The ports bound to a host reach that host's agent through the bundled handlers (DynamoDB Local,
 * fauxqs, simulated agents that parse every command with the wire schema and check it as the
 * reference agent would): on a port's creation, a DOWN port turning ACTIVE, a pairs-only change
 * (which moves no table but steps the network's version), a migration and a delete, each sent
 * twice. After each step every
 * agent holds exactly the ports the stored facts bind to its host (docs/vip.md, "The agent's
 * claim watcher").
 */
const NET = { id: 'net-local', networkType: 'vxlan', segmentId: 920 };
const HOSTS = ['l1', 'l2', 'l3'];
const tunnel = (h: string) => `198.51.100.${HOSTS.indexOf(h) + 41}`;

interface PortArgs {
  readonly host: string;
  readonly revision: number;
  readonly pairs?: readonly { ipAddress: string; macAddress?: string }[];
  readonly status?: 'ACTIVE' | 'DOWN';
}
const port = (id: string, n: number, a: PortArgs): WorkloadMessage =>
  vmPortUpsert(NET, {
    id,
    mac: `fa:16:3e:0a:00:0${n}`,
    ips: [`10.10.0.${10 + n}`],
    host: a.host,
    revision: a.revision,
    ...(a.status ? { status: a.status } : {}),
    ...(a.pairs ? { allowedAddressPairs: a.pairs } : {}),
  });

describe('local ports through the bundled handlers', () => {
  let h: Harness;
  let history: WorkloadMessage[] = [];
  beforeAll(async () => {
    h = await startHarness({ label: 'localports' });
  });
  afterAll(() => h?.stop());

  /** Sends `step` twice (duplicates), converges, and checks every agent's local ports against the stored facts. */
  const run = async (step: WorkloadMessage[]) => {
    history = await h.deliver(history, step, 2);
    const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const ports = await store.listNetworkPorts(NET.id);
    for (const host of HOSTS)
      expect(h.agents.agents.localPorts(host, NET.id), `${host}'s local ports`).toEqual(
        boundPortsOf(ports, host),
      );
    return { version: (await store.getNetworkState(NET.id))?.version ?? 0, ports };
  };
  const record = (host: string, id: string) =>
    h.agents.agents.localPorts(host, NET.id).find((p) => p.id === id);

  it("gives a port's pairs to its host's agent on upsert, pairs change, migration and delete", async () => {
    // every host stays present through a port of its own; a DOWN port bound to l3 is not listed
    // (not wired yet) until it is ACTIVE
    await run([
      ...HOSTS.map((host) => agentReport(host, tunnel(host))),
      port('base1', 1, { host: 'l1', revision: 1 }),
      port('base2', 2, { host: 'l2', revision: 1 }),
      port('base3', 3, { host: 'l3', revision: 1 }),
      port('idle3', 4, { host: 'l3', revision: 1, status: 'DOWN', pairs: [{ ipAddress: '10.10.9.0/24' }] }),
    ]);
    expect(record('l3', 'idle3')).toBeUndefined();
    await run([port('idle3', 4, { host: 'l3', revision: 2, pairs: [{ ipAddress: '10.10.9.0/24' }] })]);
    expect(record('l3', 'idle3')?.allowedAddressPairs).toEqual([
      { ipAddress: '10.10.9.0/24', macAddress: 'fa:16:3e:0a:00:04' },
    ]);

    // upsert: a new port with a pair on l1
    const created = await run([
      port('vip1', 5, {
        host: 'l1',
        revision: 1,
        pairs: [{ ipAddress: '10.10.0.100', macAddress: '00:00:5e:00:01:0a' }],
      }),
    ]);
    expect(record('l1', 'vip1')).toEqual({
      id: 'vip1',
      mac: 'fa:16:3e:0a:00:05',
      ips: ['10.10.0.15'],
      allowedAddressPairs: [{ ipAddress: '10.10.0.100', macAddress: '00:00:5e:00:01:0a' }],
    });
    expect(record('l2', 'vip1')).toBeUndefined();

    // a pairs-only change moves no table, yet steps the version: l1 gets the new record
    const tablesBefore = HOSTS.map((host) => h.agents.agents.table(host, NET.id));
    const sentBefore = h.agents.received.messages;
    const changed = await run([
      port('vip1', 5, {
        host: 'l1',
        revision: 2,
        pairs: [{ ipAddress: '10.10.0.101' }, { ipAddress: 'fd00:a::/64' }],
      }),
    ]);
    expect(changed.version).toBe(created.version + 1);
    // one version step to every member (no extra message per event); duplicates are stale
    expect(h.agents.received.messages - sentBefore).toBe(HOSTS.length);
    expect(HOSTS.map((host) => h.agents.agents.table(host, NET.id))).toEqual(tablesBefore);
    expect(record('l1', 'vip1')?.allowedAddressPairs).toEqual([
      { ipAddress: '10.10.0.101', macAddress: 'fa:16:3e:0a:00:05' },
      { ipAddress: 'fd00:a::/64', macAddress: 'fa:16:3e:0a:00:05' },
    ]);

    // migration: l1 drops the record, l2 takes it
    await run([port('vip1', 5, { host: 'l2', revision: 3, pairs: [{ ipAddress: '10.10.0.101' }] })]);
    expect(record('l1', 'vip1')).toBeUndefined();
    expect(record('l2', 'vip1')?.allowedAddressPairs).toEqual([
      { ipAddress: '10.10.0.101', macAddress: 'fa:16:3e:0a:00:05' },
    ]);

    // delete: gone from l2
    await run([portDelete(NET.id, 'vip1', 4)]);
    expect(HOSTS.map((host) => record(host, 'vip1'))).toEqual([undefined, undefined, undefined]);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    expect(h.agents.received.gaps).toBe(0);
  });

  it('gives a restarted agent the whole list in its snapshot', async () => {
    h.agents.agents.reset('l3');
    const resync = [agentResync('l3', NET.id)];
    await run(resync);
    expect(h.agents.agents.localPorts('l3', NET.id).map((p) => p.id)).toEqual(['base3', 'idle3']);
  });
});
