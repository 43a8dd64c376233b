import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import type { Port } from '../../src/core/types.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { meterEvent, seededPortEvent } from '../support/metered-event.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * The DynamoDB requests of a steady-state port event (issue 15: at most 3), on DynamoDB Local, in
 * networks of 10 and 500 hosts seeded directly: one BatchGetItem (the network state and its
 * PUBLISHED marker, the port and its pointer, the MAC and fixed-IP owners the event names), one
 * TransactWriteItems, and one BatchWriteItem that deletes the outbox record just published and
 * marks it published. No outbox Query (nothing is pending), no read-back of the outbox, no agent
 * read or check (the port's host is present). docs/data-model.md, "Cost per event".
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('portcost');
});
afterAll(() => stack?.destroy());

const measure = (event: InboundEvent) => meterEvent(stack, event);

const STEADY = { BatchGetItem: 1, TransactWriteItems: 1, BatchWriteItem: 1 };

describe('cost of a steady-state port event on DynamoDB', () => {
  it.each([
    [10, 100],
    [500, 1000],
  ])(
    'is 3 requests in 3 rounds at %i hosts (%i ports): IP change, new port with a pair on a present host, deletes',
    async (hosts, ports) => {
      const segmentId = 4000 + hosts;
      const seeded = await seedNetwork(stack.clients.doc, stack.tableName, {
        network: { id: `pc${hosts}`, name: `pc${hosts}`, networkType: 'vxlan', segmentId },
        hosts,
        ports,
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
            mac: 'fa:16:3e:77:77:77',
            ips: ['10.250.0.8'],
            deviceId: 'vm-new',
            revision: 1,
            // a bare pair: the overlap rule's index items are read and written in the same requests
            allowedAddressPairs: [{ ipAddress: '10.250.0.9', macAddress: 'fa:16:3e:77:77:77' }],
          },
          segmentId,
        ),
      );
      const deleted = await measure(seededPortEvent('port.delete', { ...p, revision: 3 }, segmentId));
      const pairDeleted = await measure(
        seededPortEvent('port.delete', { ...p, id: `${p.id}-new`, revision: 2 }, segmentId),
      );
      for (const m of [moved, added, deleted, pairDeleted]) {
        expect(m.result.outcome).toBe('applied');
        expect(m.usage.requests).toEqual(STEADY);
        expect(m.usage.rounds).toBe(3);
        // every present agent hears of the version, from the record just committed: the port's
        // own host with an empty delta (no per-host "last version sent" is kept)
        expect(m.published).toHaveLength(1);
        expect(new Set(m.published[0]?.commands.map((c) => c.host)).size).toBe(hosts);
      }
    },
  );

  it('a prefix pair the port did not carry costs one Query (its held-IP range); kept or narrowed, none', async () => {
    const segmentId = 4900;
    const seeded = await seedNetwork(stack.clients.doc, stack.tableName, {
      network: { id: 'pcprefix', name: 'pcprefix', networkType: 'vxlan', segmentId },
      hosts: 10,
      ports: 100,
    });
    const p = seeded.ports[7] as Port;
    let revision = 1;
    let ip = 1;
    // Each event moves the fixed IP, so each publishes: the usual three requests, plus Queries.
    const withPairs = async (...cidrs: string[]) => {
      const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
      let ranges = 0;
      const counted = {
        ...store,
        firstOwnerBetween: (...args: Parameters<typeof store.firstOwnerBetween>) => {
          ranges++;
          return store.firstOwnerBetween(...args);
        },
      };
      const event = seededPortEvent(
        'port.upsert',
        {
          ...p,
          ips: [`10.250.1.${ip++}`],
          revision: ++revision,
          allowedAddressPairs: cidrs.map((ipAddress) => ({ ipAddress, macAddress: p.mac })),
        },
        segmentId,
      );
      stack.clients.meter.reset();
      const result = await dispatchEvent({ store: counted, publisher: { publish: async () => {} } }, event);
      expect(result.outcome).toBe('applied');
      return { requests: stack.clients.meter.usage().requests, ranges };
    };
    const steady = (queries: number) => (queries === 0 ? STEADY : { ...STEADY, Query: queries });
    // the first prefix pair of the port: one range read, the one extra request
    expect(await withPairs('192.168.77.0/24')).toEqual({ requests: steady(1), ranges: 1 });
    // kept: the bound port reads the network's prefix list in its BatchGetItem, nothing more
    expect(await withPairs('192.168.77.0/24')).toEqual({ requests: steady(0), ranges: 0 });
    // Below, the port already carries a prefix pair and changes its pairs: the VIP read that such a
    // change costs already (src/app/vip-unbinding.ts) is one Query; the range reads come on top.
    expect(await withPairs('192.168.77.0/24', 'fd00:77::/64')).toEqual({ requests: steady(2), ranges: 1 });
    // narrowed inside what it carried: nothing new can be covered, no range read
    expect(await withPairs('192.168.77.128/25', 'fd00:77::/64')).toEqual({ requests: steady(1), ranges: 0 });
    // widened: one range read
    expect(await withPairs('192.168.76.0/23', 'fd00:77::/64')).toEqual({ requests: steady(2), ranges: 1 });
  });
});
