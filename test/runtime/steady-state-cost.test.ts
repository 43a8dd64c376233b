import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { Port } from '../../src/core/types.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { meterEvent } from '../support/metered-event.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Guarantee 6 (docs/architecture.md) on the real DynamoDB: a steady-state port event costs the same requests and capacity
 * units whatever the number of ports in the network. Only a host's first port reads the network.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('cost');
});
afterAll(() => stack?.destroy());

const upsert = (p: Port, change: Partial<Port>): InboundEvent =>
  parseInboundEvent(
    JSON.stringify({
      type: 'port.upsert',
      v: 1,
      network: { id: p.networkId, networkType: 'vxlan', segmentId: 900 + Number(p.networkId.slice(1)) },
      port: { ...p, ...change },
    }),
  );

const measure = async (event: InboundEvent): Promise<DynamoUsage> => (await meterEvent(stack, event)).usage;

describe('cost of a port event on DynamoDB', () => {
  it('is the same for 100 and 3,000 ports in a 10-host network, and only a first port reads the network', async () => {
    const usage: DynamoUsage[] = [];
    for (const [i, ports] of [
      [1, 100],
      [2, 3000],
    ] as const) {
      const seeded = await seedNetwork(stack.clients.doc, stack.tableName, {
        network: { id: `c${i}`, name: `c${i}`, networkType: 'vxlan', segmentId: 900 + i },
        hosts: 10,
        ports,
      });
      const p = seeded.ports[7] as Port;
      usage.push(await measure(upsert(p, { ips: ['10.200.0.7'], revision: 2 })));
    }
    const [small, big] = usage as [DynamoUsage, DynamoUsage];
    expect(big.requests).toEqual(small.requests);
    expect(big.readUnits).toBe(small.readUnits);
    expect(big.writeUnits).toBe(small.writeUnits);
    expect(small.requests.Query ?? 0).toBeLessThanOrEqual(2);
  });

  it('reads the whole network only when a host gets its first port there', async () => {
    const seeded = await seedNetwork(stack.clients.doc, stack.tableName, {
      network: { id: 'c3', name: 'c3', networkType: 'vxlan', segmentId: 903 },
      hosts: 10,
      ports: 2000,
      hostPrefix: 'c3-h',
    });
    const fresh = seeded.agents[0] as { host: string };
    const steady = await measure(upsert(seeded.ports[3] as Port, { ips: ['10.201.0.3'], revision: 2 }));
    // A new host: its agent exists but it has no port in c3 yet.
    await dispatchEvent(
      {
        store: createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName }),
        publisher: { publish: async () => {} },
      },
      parseInboundEvent(
        JSON.stringify({
          type: 'agent.report',
          v: 1,
          host: 'c3-new',
          tunnelIp: '198.19.0.1',
          agentType: 'ovs',
          networkTypes: ['vxlan'],
          capabilities: { learning: true, arp: 'responder' },
          bootId: 'b',
          revision: 1,
        }),
      ),
    );
    const first = await measure(upsert(seeded.ports[4] as Port, { host: 'c3-new', revision: 2 }));
    expect(fresh.host).toBe('c3-h0');
    expect(first.readUnits).toBeGreaterThan(steady.readUnits * 10);
    expect(first.requests.Query ?? 0).toBeGreaterThan(steady.requests.Query ?? 0);
  });
});
