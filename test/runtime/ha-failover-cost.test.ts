import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import type { DynamoUsage } from '../../src/adapters/aws/dynamo-meter.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { EventResult } from '../../src/app/reconcile.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * The DynamoDB requests of one `ha.state` failover under master-binding, on the real DynamoDB,
 * for the topology Neutron builds: router r1 has its replicated interface in a tenant network and
 * its two HA-network ports (`network:router_ha_interface`, keepalived's) in the HA network. Only
 * the tenant network's tables depend on the router; the HA network is not touched.
 * Budget (docs/data-model.md, "Cost per event"): router GetItem, TransactWriteItems, router-port
 * Query; then for the tenant network: one BatchGetItem (state and its PUBLISHED marker, so no
 * outbox Query when nothing is pending), the router port's GetItem, TransactWriteItems, and one
 * BatchWriteItem that deletes the outbox record just published and marks it published (no
 * read-back Query); the router's hosts are present in the network, so no agent is read or checked:
 * 7 requests in 7 sequential rounds. Before: 11 requests in 10 rounds, and 18 all sequential
 * before that (the HA network moved too, with 0 commands; the router re-read per network).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('hacost');
});
afterAll(() => stack?.destroy());

const ev = (o: Record<string, unknown>): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...o }));

const run = (e: InboundEvent): Promise<EventResult> =>
  dispatchEvent(
    {
      store: createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName }),
      publisher: { publish: async () => {} },
    },
    e,
  );

function routerPort(
  network: { id: string; networkType: string; segmentId: number },
  p: { id: string; owner: string; host: string; mac: string; ip: string },
): InboundEvent {
  return ev({
    type: 'port.upsert',
    network,
    port: {
      id: p.id,
      networkId: network.id,
      mac: p.mac,
      ips: [p.ip],
      deviceOwner: p.owner,
      deviceId: 'r1',
      host: p.host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    },
  });
}

describe('cost of an ha.state failover on DynamoDB', () => {
  it('moves only the network whose tables depend on the router, in a fixed number of requests', async () => {
    const net = { id: 'tenant', networkType: 'vxlan', segmentId: 7001 };
    const haNet = { id: 'ha-net', networkType: 'vxlan', segmentId: 7002 };
    await seedNetwork(stack.clients.doc, stack.tableName, {
      network: { ...net, name: net.id },
      hosts: 4,
      ports: 40,
      hostPrefix: 'h',
    });
    await run(
      ev({
        type: 'flags.set',
        flags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: { r1: 'master-binding' } },
        revision: 1,
      }),
    );
    await run(ev({ type: 'ha.schedule', routerId: 'r1', hosts: ['h0', 'h1'], revision: 1 }));
    await run(ev({ type: 'ha.state', routerId: 'r1', host: 'h0', state: 'active', seq: 1 }));
    await run(
      routerPort(net, {
        id: 'ha-if',
        owner: 'network:ha_router_replicated_interface',
        host: 'h0',
        mac: 'fa:16:3e:ff:ff:01',
        ip: '10.255.255.1',
      }),
    );
    for (const [i, host] of ['h0', 'h1'].entries())
      await run(
        routerPort(haNet, {
          id: `ha-port-${host}`,
          owner: 'network:router_ha_interface',
          host,
          mac: `fa:16:3e:ee:ee:0${i}`,
          ip: `169.254.192.${i + 1}`,
        }),
      );

    stack.clients.meter.reset();
    const result = await run(ev({ type: 'ha.state', routerId: 'r1', host: 'h1', state: 'active', seq: 2 }));
    const usage: DynamoUsage = stack.clients.meter.usage();

    expect(result.outcome).toBe('applied');
    expect(result.networks.map((n) => n.networkId)).toEqual(['tenant']);
    expect(result.networks[0]?.commands).toBeGreaterThan(0);
    expect(usage.requests).toEqual({
      GetItem: 2,
      BatchGetItem: 1,
      Query: 1,
      TransactWriteItems: 2,
      BatchWriteItem: 1,
    });
    expect(usage.rounds).toBe(7);
  });
});
