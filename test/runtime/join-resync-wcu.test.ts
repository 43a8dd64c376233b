import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { toAgentItem } from '../../src/adapters/aws/dynamo-items.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { Agent, Port } from '../../src/core/types.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { type MeteredEvent, meterEvent } from '../support/metered-event.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Issue 15: a join and a resync write O(1) items beyond the facts. The outbox record names the
 * hosts that get a snapshot and the snapshot is regenerated from the facts when a stored record is
 * read back (docs/data-model.md, "Constant write capacity in hosts"); before, the snapshot itself
 * was written through DynamoDB (821 WCU for a join in a 10-host, 50,000-port network). Measured on
 * DynamoDB Local at 100 and 3,000 ports: the same write capacity.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('joinwcu');
});
afterAll(() => stack?.destroy());

const event = (body: object): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...body }));

const measure = (e: InboundEvent, publish?: (r: OutboxRecord) => Promise<void>) =>
  meterEvent(stack, e, { maxAttempts: 1, ...(publish ? { publisher: { publish } } : {}) });

interface Sized {
  readonly join: MeteredEvent;
  readonly resync: MeteredEvent;
  readonly joiner: Port;
}

/** A host's first port (a join: its snapshot) and a resync of another host, in a 10-host network. */
async function joinAndResync(ports: number): Promise<Sized> {
  const id = `jr${ports}`;
  const segmentId = 4800 + (ports % 100);
  const network = { id, name: id, networkType: 'vxlan', segmentId };
  const seeded = await seedNetwork(stack.clients.doc, stack.tableName, { network, hosts: 10, ports });
  const agent: Agent = { ...(seeded.agents[0] as Agent), host: `${id}-joiner`, tunnelIp: '172.31.9.9' };
  await stack.clients.doc.send(new PutCommand({ TableName: stack.tableName, Item: toAgentItem(agent) }));
  const joiner: Port = {
    ...(seeded.ports[0] as Port),
    id: `${id}-joiner-port`,
    mac: 'fa:16:3e:99:99:99',
    ips: ['10.252.0.1'],
    deviceId: 'vm-joiner',
    host: agent.host,
  };
  const join = await measure(
    event({ type: 'port.upsert', network: { id, networkType: 'vxlan', segmentId }, port: joiner }),
  );
  const resync = await measure(event({ type: 'agent.resync', host: seeded.agents[3]?.host, networkId: id }));
  return { join, resync, joiner };
}

const snapshotEntries = (r: readonly OutboxRecord[], host: string) =>
  r
    .flatMap((o) => o.commands)
    .filter((c) => c.host === host && c.command.kind === 'snapshot')
    .reduce((n, c) => {
      if (c.command.kind !== 'snapshot') return n;
      const ports = Object.values(c.command.fdb_entries).flatMap((b) => Object.values(b.ports));
      return n + ports.reduce((k, list) => k + list.length, 0);
    }, 0);

describe('a join and a resync write O(1) items beyond the facts', () => {
  let small: Sized;
  let large: Sized;
  beforeAll(async () => {
    small = await joinAndResync(100);
    large = await joinAndResync(3000);
  }, 180_000);

  it('a join writes the same capacity at 100 and 3,000 ports, and the joiner gets its whole table', () => {
    expect(large.join.usage.writeUnits).toBe(small.join.usage.writeUnits);
    expect(large.join.usage.requests.TransactWriteItems).toBe(1);
    // every other port's unicast entry and the flooding entries of the 10 hosts
    expect(snapshotEntries(small.join.published, small.joiner.host)).toBeGreaterThanOrEqual(100);
    expect(snapshotEntries(large.join.published, large.joiner.host)).toBeGreaterThanOrEqual(3000);
  });

  it('a resync writes the same capacity at 100 and 3,000 ports', () => {
    expect(large.resync.usage.writeUnits).toBe(small.resync.usage.writeUnits);
    // every port but its own host's 300 (an agent never gets its own entries)
    expect(snapshotEntries(large.resync.published, `jr3000-h3`)).toBeGreaterThanOrEqual(2700);
  });

  it('a join whose publisher died is published from the stored record with the same snapshot, regenerated', async () => {
    const id = 'jrcrash';
    const segmentId = 4899;
    const network = { id, name: id, networkType: 'vxlan', segmentId };
    const seeded = await seedNetwork(stack.clients.doc, stack.tableName, { network, hosts: 10, ports: 500 });
    const agent: Agent = { ...(seeded.agents[0] as Agent), host: `${id}-joiner`, tunnelIp: '172.31.9.10' };
    await stack.clients.doc.send(new PutCommand({ TableName: stack.tableName, Item: toAgentItem(agent) }));
    const port: Port = {
      ...(seeded.ports[0] as Port),
      id: `${id}-joiner-port`,
      mac: 'fa:16:3e:99:99:98',
      ips: ['10.252.0.2'],
      deviceId: 'vm-joiner',
      host: agent.host,
    };
    const planned: OutboxRecord[] = [];
    const died = measure(
      event({ type: 'port.upsert', network: { id, networkType: 'vxlan', segmentId }, port }),
      async (r) => {
        planned.push(r);
        throw new Error('crash point C2: died before the fan-out');
      },
    );
    await expect(died).rejects.toThrow(/crash point C2/);
    const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
    const stored = await store.listOutbox(id);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.commands).toEqual(planned[0]?.commands);
    expect(snapshotEntries(stored, agent.host)).toBeGreaterThanOrEqual(500);
  });
});
