import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchVipClaims } from '../../src/app/dispatch.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import type { AgentEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { Port } from '../../src/core/types.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { type Body, flagsSetBody, inboundEvent } from '../support/inbound-bodies.js';
import { meterEvent } from '../support/metered-event.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * The DynamoDB requests of a `vip.claim` in the steady state (issue 16: at most 3, like a port
 * event), on DynamoDB Local, in networks of 10 and 500 hosts: one BatchGetItem (the network state
 * and its PUBLISHED marker, the port and its pointer, the VIP record, the flags), one
 * TransactWriteItems (the VIP record, the network state, the outbox record), one BatchWriteItem
 * (the published outbox record's deletion). A refresh by the owner moves no table: one
 * BatchGetItem and one TransactWriteItems.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('vipcost');
});
afterAll(() => stack?.destroy());

const VMAC = '00:00:5e:00:01:09';
const VIP = '10.251.0.100';

/** One event on DynamoDB Local, metered alone. */
const send = (body: Body) => meterEvent(stack, inboundEvent(body));

/** A seeded network of `hosts` hosts (2 ports each) under master-binding. */
async function seedMasterBinding(id: string, segmentId: number, hosts: number, revision: number) {
  const network = { id, name: id, networkType: 'vxlan', segmentId };
  const seeded = await seedNetwork(stack.clients.doc, stack.tableName, { network, hosts, ports: hosts * 2 });
  await send(flagsSetBody('master-binding', revision));
  return { network, seeded };
}

describe('cost of a steady-state vip.claim on DynamoDB', () => {
  it.each([10, 500])(
    'is at most 3 requests at %i hosts, and binds the VIP on every other agent',
    async (hosts) => {
      const segmentId = 5000 + hosts;
      const { network, seeded } = await seedMasterBinding(`vc${hosts}`, segmentId, hosts, hosts);
      const withPair = (p: Port, mac?: string) =>
        send({
          type: 'port.upsert',
          network: { id: network.id, networkType: 'vxlan', segmentId },
          port: {
            ...p,
            revision: 2,
            allowedAddressPairs: [{ ipAddress: VIP, ...(mac ? { macAddress: mac } : {}) }],
          },
        });
      const a = seeded.ports[1] as Port;
      const b = seeded.ports[2] as Port;
      await withPair(a, VMAC);
      await withPair(b);
      const claim = (p: Port, mac: string, at: number) =>
        send({
          type: 'vip.claim',
          host: p.host,
          networkId: network.id,
          portId: p.id,
          ip: VIP,
          mac,
          kind: 'garp',
          at,
          seq: at,
        });
      const t = Date.now();
      const first = await claim(a, VMAC, t - 3000);
      const moved = await claim(b, b.mac, t - 2000);
      const refresh = await claim(b, b.mac, t - 1000);
      for (const [m, told] of [
        [first, hosts],
        [moved, hosts],
      ] as const) {
        expect(m.result.outcome).toBe('applied');
        expect(m.usage.requests).toEqual({ BatchGetItem: 1, TransactWriteItems: 1, BatchWriteItem: 1 });
        expect(m.published).toHaveLength(1);
        // every member hears of every version (docs/data-model.md, "Constant write capacity in
        // hosts"): every agent but the owner learns the binding, the owner gets the version step
        expect(new Set(m.published[0]?.commands.map((c) => c.host)).size).toBe(told);
      }
      const ownerStep = first.published[0]?.commands.find((c) => c.host === a.host);
      expect(ownerStep).toBeDefined();
      expect(JSON.stringify(ownerStep)).not.toContain(VIP);
      for (const c of first.published[0]?.commands ?? [])
        if (c.host !== a.host) expect(JSON.stringify(c)).toContain(`["${VMAC}","${VIP}"]`);
      expect(JSON.stringify(moved.published[0]?.commands)).toContain(`["${b.mac}","${VIP}"]`);
      expect(JSON.stringify(moved.published[0]?.commands)).toContain(`["${VMAC}","${VIP}"]`);
      expect(refresh.result.outcome).toBe('applied');
      expect(refresh.usage.requests).toEqual({ BatchGetItem: 1, TransactWriteItems: 1 });
      expect(refresh.published).toEqual([]);
      const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
      const [vip] = await store.listNetworkVips(network.id);
      expect(vip).toMatchObject({ ip: VIP, strategy: 'master-binding', version: 3 });
      expect(vip?.state.owner).toMatchObject({ portId: b.id, host: b.host, mac: b.mac });
    },
  );
});

describe('cost of a batch of vip.claims of one network (a keepalived failover) on DynamoDB', () => {
  it.each([10, 500])(
    'commits 4 claims at %i hosts in 3 requests: one version, one command per agent',
    async (hosts) => {
      const segmentId = 6000 + hosts;
      const { network, seeded } = await seedMasterBinding(`vb${hosts}`, segmentId, hosts, 1000 + hosts);
      // Two keepalived instances, IPv4 and IPv6 each; the vmac instance's IPv4 at the virtual MAC.
      const vips = ['10.252.0.100', '2001:db8:252::100', '10.252.0.200', '2001:db8:252::200'];
      const pairs = vips.map((ip, i) => ({ ipAddress: ip, ...(i === 2 ? { macAddress: VMAC } : {}) }));
      const a = seeded.ports[1] as Port;
      const b = seeded.ports[2] as Port;
      for (const p of [a, b])
        await send({
          type: 'port.upsert',
          network: { id: network.id, networkType: 'vxlan', segmentId },
          port: { ...p, revision: 2, allowedAddressPairs: pairs },
        });
      const failover = async (p: Port, at: number) => {
        const events = vips.map((ip, i) =>
          parseInboundEvent(
            JSON.stringify({
              type: 'vip.claim',
              v: 1,
              host: p.host,
              networkId: network.id,
              portId: p.id,
              ip,
              mac: i === 2 ? VMAC : p.mac,
              kind: ip.includes(':') ? 'unsolicited_na' : 'garp',
              at: at + i,
              seq: at + i,
            }),
          ),
        );
        const published: OutboxRecord[] = [];
        const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
        const versionBefore = (await store.getNetworkState(network.id))?.version ?? 0;
        stack.clients.meter.reset();
        const outcomes = await dispatchVipClaims(
          { store, publisher: { publish: async (r) => void published.push(r) } },
          network.id,
          events as AgentEvent[],
        );
        const usage = stack.clients.meter.usage() as DynamoUsage;
        const version = (await store.getNetworkState(network.id))?.version ?? 0;
        return { outcomes, published, usage, versions: version - versionBefore };
      };
      const t = Date.now();
      for (const m of [await failover(a, t - 3000), await failover(b, t - 2000)]) {
        expect(m.outcomes.map((o) => o.kind === 'result' && o.result.outcome)).toEqual(
          Array(4).fill('applied'),
        );
        expect(m.usage.requests).toEqual({ BatchGetItem: 1, TransactWriteItems: 1, BatchWriteItem: 1 });
        expect(m.versions).toBe(1);
        expect(m.published).toHaveLength(1);
        const told = m.published[0]?.commands.map((c) => c.host) ?? [];
        expect(told).toHaveLength(hosts);
        expect(new Set(told).size).toBe(hosts);
      }
      const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
      const records = await store.listNetworkVips(network.id);
      expect(records.map((r) => [r.ip, r.state.owner?.host, r.version]).sort()).toEqual(
        vips.map((ip) => [ip, b.host, 2]).sort(),
      );
    },
  );
});
