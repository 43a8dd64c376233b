import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { anAgent, anOutbox, aState, commitOf, NETWORK } from '../support/fact-fixtures.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('limits');
});
afterAll(() => stack?.destroy());

const store = () => createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });

/** Random-looking entries that gzip poorly, so the outbox really spans several items. */
function noisyEntries(n: number, seed: number): [string, string][] {
  let x = seed;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  return Array.from({ length: n }, () => {
    const a = next();
    const b = next();
    return [
      `fa:16:3e:${((a >> 16) & 255).toString(16).padStart(2, '0')}:${((a >> 8) & 255).toString(16).padStart(2, '0')}:${(a & 255).toString(16).padStart(2, '0')}`,
      `2001:db8:${(b >> 16).toString(16)}::${(b & 0xffff).toString(16)}`,
    ];
  });
}

describe('DynamoDB item and transaction limits', () => {
  it('splits an outbox record of several MB over items of at most 350 KB and reads it back whole', async () => {
    const net = { ...NETWORK, id: 'big-outbox' };
    const entries = noisyEntries(60_000, 7);
    const commands = Array.from({ length: 20 }, (_, part) => ({
      host: 'h1',
      command: {
        v: 1 as const,
        kind: 'snapshot' as const,
        networkId: net.id,
        version: 1,
        segment: { networkType: 'vxlan', segmentId: 1 },
        part: { index: part, count: 20 },
        fdb_entries: {
          [net.id]: {
            segment_id: 1,
            network_type: 'vxlan',
            ports: { '192.0.2.9': entries.slice(part * 3000, part * 3000 + 3000) },
          },
        },
      },
    }));
    const record = anOutbox({ networkId: net.id, commands });
    expect(await store().commit(commitOf({ outbox: [record] }))).toBe('committed');
    const raw = await stack.clients.doc.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `NET#${net.id}` },
      }),
    );
    const items = raw.Items ?? [];
    expect(items.length).toBeGreaterThan(1);
    for (const i of items) expect((i.body as Uint8Array).length).toBeLessThanOrEqual(350 * 1024);
    const s = store();
    expect(await s.listOutbox(net.id)).toEqual([record]);
    await s.deleteOutbox(net.id, record.key);
    const after = await stack.clients.doc.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `NET#${net.id}` },
      }),
    );
    expect(after.Items ?? []).toEqual([]);
  });

  it('rejects a commit over 100 items with limit_exceeded, before calling DynamoDB', async () => {
    const agents = Array.from({ length: 101 }, (_, i) => ({
      value: anAgent({ host: `lim-${i}` }),
      expected: null,
    }));
    const err = await store()
      .commit(commitOf({ agents }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe('limit_exceeded');
    expect((err as InvalidInputError).message).toMatch(/101 items.*100 items/);
  });

  it('rejects a network hosts item (present hosts and members) over 400 KB with limit_exceeded', async () => {
    const counts: Record<string, number> = {};
    const members: Record<string, { tunnelIp: string; haView: 'tunnel' }> = {};
    const noise = noisyEntries(30_000, 3);
    noise.forEach(([mac, ip], i) => {
      const h = `host-${mac}-${i}`;
      counts[h] = 1;
      members[h] = { tunnelIp: ip, haView: 'tunnel' };
    });
    const state = aState({ network: { ...NETWORK, id: 'too-big' }, index: { counts, members } });
    const err = await store()
      .commit(commitOf({ networks: [{ value: state, expected: null }] }))
      .catch((e: unknown) => e);
    expect((err as InvalidInputError).code).toBe('limit_exceeded');
    expect((err as InvalidInputError).message).toMatch(/NET#too-big\/HOSTS would be \d+ bytes/);
  });
});
