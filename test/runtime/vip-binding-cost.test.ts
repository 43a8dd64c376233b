import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import type { EventResult } from '../../src/app/reconcile.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { Port } from '../../src/core/types.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * What a port event costs when it takes a VIP from its owner (docs/vip.md, "A binding is tied to
 * its port"), on DynamoDB Local at 10 hosts. The steady state is unchanged (3 requests,
 * test/runtime/port-event-cost.test.ts, which deletes a port with a pair): the first attempt reads
 * no VIP record and carries a `vipNotHeld` check for the pair's address; the owner's delete fails
 * that check, so the transaction is cancelled and the retry reads the record and releases it: two
 * BatchGetItem, two TransactWriteItems, one BatchWriteItem.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('vipbindcost');
});
afterAll(() => stack?.destroy());

const VIP = '10.251.0.100';
const VMAC = '00:00:5e:00:01:44';

describe('cost of a port event that unbinds a VIP, on DynamoDB', () => {
  it('the owner port deleted: 5 requests, the VIP released in the same commit', async () => {
    const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
    const published: OutboxRecord[] = [];
    const deps = { store, publisher: { publish: async (r: OutboxRecord) => void published.push(r) } };
    const send = (e: Record<string, unknown>): Promise<EventResult> =>
      dispatchEvent(deps, parseInboundEvent(JSON.stringify({ v: 1, ...e })));
    const measure = async (e: Record<string, unknown>) => {
      stack.clients.meter.reset();
      const result = await send(e);
      return { result, usage: stack.clients.meter.usage() as DynamoUsage };
    };
    const segmentId = 4910;
    const network = { id: 'vbc', name: 'vbc', networkType: 'vxlan', segmentId };
    const seeded = await seedNetwork(stack.clients.doc, stack.tableName, { network, hosts: 10, ports: 40 });
    await send({
      type: 'flags.set',
      flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
      revision: 1,
    });
    const base = seeded.ports[3] as Port;
    const owner = {
      ...base,
      id: `${base.id}-vip`,
      mac: 'fa:16:3e:44:44:44',
      ips: ['10.251.0.4'],
      deviceId: 'vm-vip',
      revision: 1,
      allowedAddressPairs: [{ ipAddress: VIP, macAddress: VMAC }],
    };
    await send({ type: 'port.upsert', network: { id: 'vbc', networkType: 'vxlan', segmentId }, port: owner });
    const claimed = await send({
      type: 'vip.claim',
      host: owner.host,
      networkId: 'vbc',
      portId: owner.id,
      ip: VIP,
      mac: VMAC,
      kind: 'garp',
      at: Date.now() - 1000,
      seq: 1,
    });
    expect(claimed.vip?.owner).toMatchObject({ portId: owner.id });
    published.length = 0;
    const deleted = await measure({ type: 'port.delete', portId: owner.id, networkId: 'vbc', revision: 2 });
    expect(deleted.result.outcome).toBe('applied');
    expect(deleted.usage.requests).toEqual({ BatchGetItem: 2, TransactWriteItems: 2, BatchWriteItem: 1 });
    const [record] = await store.listNetworkVips('vbc');
    expect(record?.state.owner).toBeNull();
    expect(record?.holders).toEqual({});
    // one version: the port's entries and the VIP's ARP and unicast entries leave every other agent
    expect(published).toHaveLength(1);
    const removed = published[0]?.commands.flatMap((c) =>
      c.command.kind === 'delta' ? c.command.payloads.flatMap((p) => JSON.stringify(p)) : [],
    );
    expect(removed?.some((p) => p.includes(VMAC))).toBe(true);
  });
});
