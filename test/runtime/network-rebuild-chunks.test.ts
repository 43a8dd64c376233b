import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import { createDynamoRebuildStore } from '../../src/adapters/aws/dynamo-rebuild-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { onNetworkRebuild } from '../../src/app/on-network-rebuild.js';
import type { Commit, FactStore, OutboxRecord } from '../../src/app/ports.js';
import type { Deps } from '../../src/app/reconcile.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { computeAgentTable } from '../../src/core/desired.js';
import { computeHoldsArp, computeTableDigest, digestsEqual } from '../../src/core/digest.js';
import { computeStoredDesiredDigest } from '../../src/core/digest-change.js';
import {
  MAX_RESET_HOST_WRITES,
  parseHostDigestRecord,
  parseNetworkDigestRecord,
} from '../../src/core/digest-record.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import type { Network } from '../../src/core/types.js';
import { type Seeded, seedNetwork } from '../../tools/support/seed-network.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * A rebuild whose drift-audit sums do not fit the state's transaction (more than
 * `MAX_RESET_HOST_WRITES` hosts), on DynamoDB Local through the use-case: the host records go in
 * guarded commits after it (docs/crash-safety.md, "Network rebuild"). A crash between two of them
 * leaves the sums marked incomplete (audits `unverifiable`, never a false drift) and the
 * redelivered rebuild finishes them; a commit of another event landing between two of them makes
 * the rebuild run again. Either way every host's sums equal the digest of its desired table.
 */
const HOSTS = 40;
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('rbchunk');
});
afterAll(() => stack?.destroy());

function depsOf(store: FactStore, published: OutboxRecord[]): Deps {
  return {
    store,
    publisher: { publish: async (r) => void published.push(r) },
    rebuild: createDynamoRebuildStore({ client: stack.clients.doc, tableName: stack.tableName }),
  };
}

const realStore = () => createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
const isChunk = (c: Commit) => c.outbox.length === 0 && (c.digests?.length ?? 0) > 0;

/** The store, with `before(n)` run ahead of the n-th sum chunk commit (from 1). */
function aroundChunks(before: (n: number) => Promise<void>): FactStore {
  const inner = realStore();
  let n = 0;
  return {
    ...inner,
    async commit(c) {
      if (isChunk(c)) await before(++n);
      return inner.commit(c);
    },
  };
}

async function get(key: { pk: string; sk: string }) {
  return (
    await stack.clients.doc.send(
      new GetCommand({ TableName: stack.tableName, Key: key, ConsistentRead: true }),
    )
  ).Item;
}

/** Every host's sums against the digest of the table the facts give it. */
async function expectSumsMatchFacts(seeded: Seeded): Promise<void> {
  const id = seeded.network.id;
  const net = parseNetworkDigestRecord((await get(KEYS.digest(id))) ?? {});
  expect(net.complete).toBe(true);
  const facts = {
    network: seeded.network,
    agents: new Map(seeded.agents.map((a) => [a.host, a])),
    ports: await realStore().listNetworkPorts(id),
    routers: new Map(),
    flags: DEFAULT_FLAGS,
  };
  for (const a of seeded.agents) {
    const holdsArp = computeHoldsArp(a.capabilities);
    const stored = computeStoredDesiredDigest(
      net,
      parseHostDigestRecord((await get(KEYS.hostDigest(id, a.host))) ?? {}),
      holdsArp,
    );
    const want = computeTableDigest(computeAgentTable(facts, a.host), holdsArp);
    expect(stored && digestsEqual(stored, want), a.host).toBe(true);
  }
}

async function heldItems(networkId: string): Promise<number> {
  const res = await stack.clients.doc.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `NET#${networkId}`, ':p': 'MAC#heldx:' },
    }),
  );
  return res.Items?.length ?? 0;
}

const seed = (id: string, segmentId: number) => {
  const network: Network = { id, name: id, networkType: 'vxlan', segmentId };
  return seedNetwork(stack.clients.doc, stack.tableName, { network, hosts: HOSTS, ports: 2 * HOSTS });
};

describe(`a rebuild of a network of ${HOSTS} hosts (sums past ${MAX_RESET_HOST_WRITES} host records)`, () => {
  it('survives a crash between two sum commits: incomplete until the redelivery finishes it', async () => {
    const seeded = await seed('net-chunk-crash', 730);
    expect(await get(KEYS.digest(seeded.network.id))).toBeUndefined();
    const published: OutboxRecord[] = [];
    const crashing = aroundChunks(async (n) => {
      if (n === 2) throw new Error('injected crash before the second sum commit');
    });
    await expect(onNetworkRebuild(depsOf(crashing, published), seeded.network.id)).rejects.toThrow(
      'injected crash',
    );
    // the state committed and its snapshots went out; the sums say "not comparable"
    expect(published.map((r) => [r.version, r.commands.length])).toEqual([[2, HOSTS]]);
    expect(await heldItems(seeded.network.id)).toBe(2 * HOSTS);
    const partial = parseNetworkDigestRecord((await get(KEYS.digest(seeded.network.id))) ?? {});
    expect(partial.complete).toBe(false);

    const again = await onNetworkRebuild(depsOf(realStore(), published), seeded.network.id);
    expect(again.rebuild).toMatchObject({ digestChunks: 2, members: HOSTS, overlaps: [] });
    expect(again.rebuild?.index.heldWritten).toBe(0);
    expect(published.map((r) => r.version)).toEqual([2, 3]);
    await expectSumsMatchFacts(seeded);
  });

  it('runs again when another commit lands between two sum commits', async () => {
    const seeded = await seed('net-chunk-race', 731);
    const id = seeded.network.id;
    const published: OutboxRecord[] = [];
    const moved = seeded.ports[0];
    if (!moved) throw new Error('no port');
    const other = depsOf(realStore(), published);
    const racing = aroundChunks(async (n) => {
      if (n !== 2) return;
      // an IP change of the network, committed by another invocation between the two sum commits
      const event = parseInboundEvent(
        JSON.stringify({
          type: 'port.upsert',
          v: 1,
          network: { id, networkType: 'vxlan', segmentId: 731 },
          port: { ...moved, ips: ['10.200.0.1'], revision: 2 },
        }),
      );
      expect((await dispatchEvent(other, event)).outcome).toBe('applied');
    });
    const result = await onNetworkRebuild(depsOf(racing, published), id);
    // rebuild at 2, the port event at 3 (the sums it added were over a partial set), rebuild at 4
    expect(published.map((r) => r.version)).toEqual([2, 3, 4]);
    expect(result.networks).toEqual([{ networkId: id, version: 4, commands: HOSTS }]);
    await expectSumsMatchFacts(seeded);
  });
});
