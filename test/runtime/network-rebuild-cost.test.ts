import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createDynamoRebuildStore } from '../../src/adapters/aws/dynamo-rebuild-store.js';
import { onNetworkRebuild } from '../../src/app/on-network-rebuild.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import { INDEX_CHUNK_ITEMS } from '../../src/app/rebuild-index.js';
import { MAX_RESET_HOST_WRITES } from '../../src/core/digest-record.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * What a network rebuild costs on DynamoDB Local (docs/operations.md, "Rebuilding a network"), on
 * networks seeded straight into the table (every port bound with one fixed IP, no overlap index,
 * no sum record: "before the indexes"): the first rebuild writes the held-IP owners in commits of
 * 90, then one transaction for the state, then the sum records in commits of 32 past 32 hosts; a
 * second rebuild of the same network writes no index entry and no presence count. Figures are
 * printed (`rebuild cost:` lines) for the docs; the assertions are the structure, not the numbers.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('rbcost');
});
afterAll(() => stack?.destroy());

async function rebuild(networkId: string): Promise<{ usage: DynamoUsage; published: OutboxRecord[] }> {
  const published: OutboxRecord[] = [];
  const deps = {
    store: createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName }),
    publisher: { publish: async (r: OutboxRecord) => void published.push(r) },
    rebuild: createDynamoRebuildStore({ client: stack.clients.doc, tableName: stack.tableName }),
  };
  stack.clients.meter.reset();
  const result = await onNetworkRebuild(deps, networkId);
  expect(result.outcome).toBe('applied');
  return { usage: stack.clients.meter.usage(), published };
}

const line = (label: string, u: DynamoUsage) =>
  `rebuild cost: ${label}: ${Object.values(u.requests).reduce((a, b) => a + b, 0)} requests ${JSON.stringify(u.requests)}, ${u.readUnits} RCU, ${u.writeUnits} WCU`;

describe.each([
  [10, 100],
  [40, 400],
  [100, 1000],
])('a rebuild of %i hosts and %i ports', (hosts, ports) => {
  it('writes the missing indexes in commits of 90, the sums in commits of 32, and nothing more the second time', async () => {
    const id = `net-cost-${hosts}`;
    await seedNetwork(stack.clients.doc, stack.tableName, {
      network: { id, name: id, networkType: 'vxlan', segmentId: 740 + hosts },
      hosts,
      ports,
    });
    const chunks = hosts > MAX_RESET_HOST_WRITES ? Math.ceil(hosts / MAX_RESET_HOST_WRITES) : 0;
    const first = await rebuild(id);
    console.log(line(`${hosts}x${ports} before the indexes`, first.usage));
    expect(first.usage.requests.TransactWriteItems).toBe(Math.ceil(ports / INDEX_CHUNK_ITEMS) + 1 + chunks);
    expect(first.published.map((r) => r.commands.length)).toEqual([hosts]);

    const again = await rebuild(id);
    console.log(line(`${hosts}x${ports} again`, again.usage));
    expect(again.usage.requests.TransactWriteItems).toBe(1 + chunks);
    expect(again.usage.requests.BatchWriteItem ?? 0).toBe(1); // the published outbox record's delete
  });
});
