import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { InboundQueue, WorkloadMessage } from '../support/workload.js';

const HOSTS = ['h1', 'h2', 'h3'] as const;

function message(queue: InboundQueue, group: string, event: Record<string, unknown>): WorkloadMessage {
  const body = JSON.stringify({ v: 1, ...event });
  return { queue, group, body, event: parseInboundEvent(body) };
}

const report = (host: string, i: number) =>
  message('agent', host, {
    type: 'agent.report',
    host,
    tunnelIp: `192.0.2.${i + 1}`,
    agentType: 'Linux bridge agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: false, arp: 'proxy' },
    bootId: `${host}-boot-1`,
    revision: 1,
  });

/** A VM port of `networkId` on `host`; both networks are on VXLAN segment 101. */
const port = (networkId: string, host: string, n: number) =>
  message('port', networkId, {
    type: 'port.upsert',
    network: { id: networkId, networkType: 'vxlan', segmentId: 101 },
    port: {
      id: `${networkId}-p${n}`,
      networkId,
      mac: `fa:16:3e:00:${networkId === 'n1' ? '01' : '02'}:0${n}`,
      ips: [`10.0.${networkId === 'n1' ? 1 : 2}.${n}`],
      deviceOwner: 'compute:nova',
      deviceId: `vm-${networkId}-${n}`,
      host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    },
  });

const remove = (networkId: string, n: number) =>
  message('port', networkId, { type: 'port.delete', portId: `${networkId}-p${n}`, networkId, revision: 2 });

describe('a VXLAN segment that Neutron gives to a new network while the old one still holds it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'vni-reuse' });
  });
  afterAll(() => h?.stop());

  it('converges: the agent waits for the old network to leave, then asks for the new one', async () => {
    const old = [...HOSTS.map(report), port('n1', 'h1', 1), port('n1', 'h2', 2)];
    await h.send(old);
    await h.converge(old);
    // n2 first lives on h3 alone, which never held n1: nothing to wait for there.
    const elsewhere = [...old, port('n2', 'h3', 1)];
    await h.send(elsewhere.slice(old.length));
    await h.converge(elsewhere);
    expect(h.agents.received.vniWaits).toBe(0);
    // Then it reaches h1 while n1 still holds the segment there: h1 refuses it and waits, as the
    // reference agent does (one command of n2 only: a second resync at one version is lost, docs/architecture.md).
    const joined = [...elsewhere, port('n2', 'h1', 2)];
    await h.send(joined.slice(elsewhere.length));
    const deadline = Date.now() + 30_000;
    while (h.agents.received.vniWaits === 0 && Date.now() < deadline) {
      await h.agents.pump(HOSTS);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(h.agents.received.vniWaits).toBe(1);
    expect(h.agents.agents.version('h1', 'n2')).toBe(0);
    // n1 leaves h1: the VNI is free, h1 asks for n2 and gets it.
    const all = [...joined, remove('n1', 1), remove('n1', 2)];
    await h.send(all.slice(joined.length));
    await h.converge(all);
    expect(h.diff(all)).toEqual([]);
    expect(h.agents.agents.version('h1', 'n2')).toBeGreaterThan(0);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
  });
});

describe('an agent that asks for a network twice at one version', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'vni-reuse-twice' });
  });
  afterAll(() => h?.stop());

  it('gets a snapshot each time (the second resync has a deduplication id of its own)', async () => {
    const old = [...HOSTS.map(report), port('n1', 'h1', 1), port('n1', 'h2', 2), port('n2', 'h3', 1)];
    await h.send(old);
    await h.converge(old);
    // n2 reaches h1 while n1 holds the segment there: h1 refuses n2's command and asks for n2, and
    // the snapshot that answers is refused for the segment too. One more port of n2 (on h3) gives
    // h1 another command to refuse, so it asks again: the same version of n2 is asked for twice.
    const joined = [...old, port('n2', 'h1', 2), port('n2', 'h3', 3)];
    await h.send(joined.slice(old.length));
    const deadline = Date.now() + 30_000;
    while (h.agents.received.vniWaits < 2 && Date.now() < deadline) {
      await h.agents.pump(HOSTS);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(h.agents.received.vniWaits).toBeGreaterThanOrEqual(2);
    // n1 leaves h1: the segment is free, h1 asks for n2 once more, at the version it asked for
    // before; keyed by the version alone, SQS dropped that snapshot as a duplicate.
    const all = [...joined, remove('n1', 1), remove('n1', 2)];
    await h.send(all.slice(joined.length));
    await h.converge(all);
    expect(h.diff(all)).toEqual([]);
    expect(h.agents.agents.version('h1', 'n2')).toBeGreaterThan(0);
  });
});
