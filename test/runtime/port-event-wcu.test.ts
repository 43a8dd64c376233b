import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import type { Port } from '../../src/core/types.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { meterEvent, seededPortEvent } from '../support/metered-event.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Issue 15: the write capacity of a steady-state port event is the same at 10 and at 500 hosts, on
 * DynamoDB Local (`ReturnConsumedCapacity`, src/adapters/aws/dynamo-meter.ts), and it still costs
 * at most 3 requests. docs/data-model.md, "Cost per event" and "Constant write capacity in hosts".
 *
 * Before: 10 WCU at 10 hosts and 27-28 at 500, because the `STATE` item carried the O(hosts)
 * index and a per-host "last version sent" map and the outbox record one command per agent, all
 * rewritten by every event. Now `STATE` is small, the present hosts and members are in `HOSTS`
 * (rewritten only when they change), counts move by an atomic ADD on the host's presence item,
 * and the outbox record stores the command shared by all members once.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('portwcu');
});
afterAll(() => stack?.destroy());

async function measure(event: InboundEvent): Promise<DynamoUsage> {
  const { result, usage } = await meterEvent(stack, event);
  expect(result.outcome).toBe('applied');
  return usage;
}

type Kind = 'ip-change' | 'new-port' | 'delete';

/** The three steady-state events in a network of `hosts` hosts and 1,000 ports seeded directly. */
async function steadyState(hosts: number): Promise<Record<Kind, DynamoUsage>> {
  const segmentId = 4600 + hosts;
  const seeded = await seedNetwork(stack.clients.doc, stack.tableName, {
    network: { id: `pw${hosts}`, name: `pw${hosts}`, networkType: 'vxlan', segmentId },
    hosts,
    ports: 1000,
  });
  const p = seeded.ports[7] as Port;
  const moved = await measure(
    seededPortEvent('port.upsert', { ...p, ips: ['10.250.0.7'], revision: 2 }, segmentId),
  );
  const added = await measure(
    seededPortEvent(
      'port.upsert',
      {
        ...p,
        id: `${p.id}-new`,
        mac: 'fa:16:3e:77:77:78',
        ips: ['10.250.0.8'],
        deviceId: 'vm-new',
        revision: 1,
      },
      segmentId,
    ),
  );
  const deleted = await measure(seededPortEvent('port.delete', { ...p, revision: 3 }, segmentId));
  return { 'ip-change': moved, 'new-port': added, delete: deleted };
}

let small: Record<Kind, DynamoUsage>;
let large: Record<Kind, DynamoUsage>;
const KINDS: readonly Kind[] = ['ip-change', 'new-port', 'delete'];

describe('write capacity of a steady-state port event at 10 and 500 hosts', () => {
  beforeAll(async () => {
    small = await steadyState(10);
    large = await steadyState(500);
  }, 120_000);

  it.each(KINDS)('%s costs at most 3 requests at both sizes', (kind) => {
    for (const u of [small[kind], large[kind]]) {
      const total = Object.values(u.requests).reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(3);
      expect(u.writeUnits).toBeGreaterThan(0);
    }
  });

  it.each(KINDS)('%s writes the same capacity units at 10 and 500 hosts', (kind) => {
    expect(large[kind].writeUnits).toBe(small[kind].writeUnits);
  });
});

describe('presence counts kept in the presence items, moved without being read', () => {
  it('a host whose last port goes leaves: the optimistic ADD conflicts once, the retry reads its count', async () => {
    const segmentId = 4700;
    const seeded = await seedNetwork(stack.clients.doc, stack.tableName, {
      network: { id: 'pwleave', name: 'pwleave', networkType: 'vxlan', segmentId },
      hosts: 10,
      ports: 10,
    });
    const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
    const published: OutboxRecord[] = [];
    const run = async (event: InboundEvent) => {
      stack.clients.meter.reset();
      const r = await dispatchEvent(
        { store, publisher: { publish: async (o) => void published.push(o) } },
        event,
      );
      expect(r.outcome).toBe('applied');
      return stack.clients.meter.usage();
    };
    const count = async (host: string) =>
      (
        await stack.clients.doc.send(
          new GetCommand({ TableName: stack.tableName, Key: KEYS.presence(host, 'pwleave') }),
        )
      ).Item?.count;
    const p3 = seeded.ports[3] as Port;
    const p4 = seeded.ports[4] as Port;
    // a second port on p4's host: count 1 -> 2 by an ADD, nothing read
    const extra = {
      ...p4,
      id: `${p4.id}-x`,
      mac: 'fa:16:3e:55:55:55',
      ips: ['10.251.0.4'],
      deviceId: 'vm-x',
    };
    expect((await run(seededPortEvent('port.upsert', extra, segmentId))).requests.TransactWriteItems).toBe(1);
    expect(await count(p4.host)).toBe(2);
    // p4's first port goes: 2 -> 1, the host stays, one transaction
    expect(
      (await run(seededPortEvent('port.delete', { ...p4, revision: 2 }, segmentId))).requests
        .TransactWriteItems,
    ).toBe(1);
    expect(await count(p4.host)).toBe(1);
    // p3's only port goes: the ADD's condition fails, the retry reads the count and plans the leave
    published.length = 0;
    const leave = await run(seededPortEvent('port.delete', { ...p3, revision: 2 }, segmentId));
    expect(leave.requests.TransactWriteItems).toBe(2);
    expect(await count(p3.host)).toBeUndefined();
    expect(await store.listHostNetworks(p3.host)).not.toContain('pwleave');
    const commands = published.flatMap((o) => o.commands);
    expect(commands.filter((c) => c.host === p3.host).map((c) => c.command.kind)).toEqual(['leave']);
    expect(new Set(commands.map((c) => c.host)).size).toBe(10);
    const state = await store.getNetworkState('pwleave');
    expect(Object.keys(state?.index.members ?? {})).not.toContain(p3.host);
    expect(Object.keys(state?.index.members ?? {})).toHaveLength(9);
  });
});
