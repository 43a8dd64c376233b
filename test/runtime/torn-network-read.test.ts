import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import type { NetworkState } from '../../src/app/ports.js';
import { guardNetwork } from '../../src/app/reconcile.js';
import type { Member } from '../../src/core/membership.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * A network's state is two items, `STATE` (guarded by every commit) and `HOSTS` (present hosts and
 * members, rewritten only when they change), read in one BatchGetItem. A BatchGetItem is not a
 * snapshot: DynamoDB documents it as read-committed per item, not serializable with a transaction
 * as a whole, and DynamoDB Local tears it. A torn read (the `STATE` of one commit, the `HOSTS` of
 * an older one) passes the commit's `seq` guard, so a plan made from it sends a host that left the
 * network a delta, and moves the drift-audit sums by the wrong members (what two CI runs showed:
 * a left agent holding one stray entry, converged agents audited as drifting).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('torn');
});
afterAll(() => stack?.destroy());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('torn reads of a network state', () => {
  it('DynamoDB Local tears a BatchGetItem that races a transaction (the premise)', async () => {
    const { doc } = stack.clients;
    const TableName = stack.tableName;
    const keys = [
      { pk: 'TORN#premise', sk: 'A' },
      { pk: 'TORN#premise', sk: 'B' },
    ];
    let stop = false;
    let torn = 0;
    const writer = async () => {
      for (let i = 1; !stop; i++)
        await doc.send(
          new TransactWriteCommand({
            TransactItems: keys.map((k) => ({ Put: { TableName, Item: { ...k, n: i } } })),
          }),
        );
    };
    const reader = async () => {
      while (!stop) {
        const r = await doc.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys } } }));
        const seen = (r.Responses?.[TableName] ?? []).map((x) => x.n);
        if (seen.length === 2 && seen[0] !== seen[1]) torn++;
      }
    };
    const done = Promise.all([writer(), reader(), reader()]);
    for (let waited = 0; torn === 0 && waited < 20_000; waited += 50) await sleep(50);
    stop = true;
    await done;
    expect(torn).toBeGreaterThan(0);
  });

  it('never returns the members of one commit with the state of another', async () => {
    const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
    const networkId = 'torn-1';
    const network = { id: networkId, name: networkId, networkType: 'vxlan', segmentId: 7 };
    const member = (i: number): Member => ({ tunnelIp: `192.0.2.${i}`, haView: 'master-binding' });
    /** Commit `seq` holds h2 iff `seq` is odd: every commit moves h2 in or out. */
    const stateAt = (version: number, withH2: boolean): NetworkState => ({
      network,
      version,
      index: {
        counts: withH2 ? { h1: 1, h2: 1 } : { h1: 1 },
        members: withH2 ? { h1: member(1), h2: member(2) } : { h1: member(1) },
      },
      strategies: {},
      routers: {},
    });
    const commit = (before: NetworkState | undefined, after: NetworkState) =>
      store.commit({
        ports: [],
        macs: [],
        routers: [],
        agents: [],
        flags: null,
        networks: [guardNetwork(before, after)],
        outbox: [],
      });
    expect(await commit(undefined, stateAt(1, true))).toBe('committed');

    const wrong: string[] = [];
    const check = (s: NetworkState | undefined) => {
      if (!s) return void wrong.push('no state');
      const seq = s.seq ?? 0;
      if ('h2' in s.index.members !== (seq % 2 === 1))
        wrong.push(`seq ${seq} with members ${Object.keys(s.index.members).join(',')}`);
    };
    let commits = 1;
    let reads = 0;
    const end = Date.now() + 8000;
    // writers plan from what they read, as the use-cases do: a torn read they planned from would
    // commit the wrong members at the next seq, which the readers then see
    const writer = async () => {
      while (Date.now() < end) {
        const before = await store.getNetworkState(networkId);
        check(before);
        if (!before) return;
        const withH2 = !('h2' in before.index.members);
        if ((await commit(before, stateAt(before.version + 1, withH2))) === 'committed') commits++;
      }
    };
    const reader = async () => {
      while (Date.now() < end) {
        const [a, b] = await Promise.all([
          store.getNetworkState(networkId),
          store.readMany({ networks: [networkId] }).then((r) => r.networks.get(networkId)?.state),
        ]);
        check(a);
        check(b);
        reads += 2;
      }
    };
    await Promise.all([writer(), writer(), writer(), reader(), reader()]);
    expect(commits).toBeGreaterThan(20);
    expect(reads).toBeGreaterThan(50);
    expect(wrong.slice(0, 5)).toEqual([]);
  }, 30_000);
});
