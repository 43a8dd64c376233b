import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { EventResult } from '../../src/app/reconcile.js';
import { createRouterNetworkHints, type RouterNetworkHints } from '../../src/app/router-network-hints.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { vmPortBody } from '../support/inbound-bodies.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * The DynamoDB requests of one `ha.state` failover under master-binding, on the real DynamoDB,
 * for the topology Neutron builds: router r1 has its replicated interface in a tenant network and
 * its two HA-network ports (`network:router_ha_interface`, keepalived's) in the HA network. Only
 * the tenant network's tables depend on the router; the HA network is not touched. Both hosts of
 * the router are present in the tenant network (D17), so the failover makes no host join.
 * Budget (docs/data-model.md, "Cost per event"), the rounds up to the publication of the commands:
 * 1. one Query of the `ROUTER#r1` partition: the router, its dependent ports and their counter;
 * 2. one BatchGetItem: the tenant network's state and its PUBLISHED marker (nothing pending, so
 *    no outbox Query; no agent read, as nobody joins);
 * 3. one TransactWriteItems: the router fact, the network state and its outbox record, and the
 *    check of the port counter.
 * Then the commands are published, and a 4th round, off the commands' path, deletes the outbox
 * record and marks it published (one BatchWriteItem). Before: 7 requests in 7 rounds, 11 in 10 and
 * 18 all sequential before that.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('hacost');
});
afterAll(() => stack?.destroy());

const ev = (o: Record<string, unknown>): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...o }));

const run = (
  e: InboundEvent,
  publish: () => void = () => {},
  routerNetworks?: RouterNetworkHints,
): Promise<EventResult> =>
  dispatchEvent(
    {
      store: createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName }),
      publisher: { publish: async () => publish() },
      ...(routerNetworks ? { routerNetworks } : {}),
    },
    e,
  );

/** One measured failover: the result, the requests, and the rounds done when the commands left. */
async function measure(e: InboundEvent, hints?: RouterNetworkHints) {
  stack.clients.meter.reset();
  const atPublish: (number | undefined)[] = [];
  const result = await run(e, () => atPublish.push(stack.clients.meter.usage().rounds), hints);
  return { result, usage: stack.clients.meter.usage(), atPublish };
}

function routerPort(
  network: { id: string; networkType: string; segmentId: number },
  p: { id: string; owner: string; host: string; mac: string; ip: string },
): InboundEvent {
  return ev(
    vmPortBody(network, {
      id: p.id,
      mac: p.mac,
      ips: [p.ip],
      host: p.host,
      revision: 1,
      deviceOwner: p.owner,
      deviceId: 'r1',
    }),
  );
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

    const { result, usage, atPublish } = await measure(
      ev({ type: 'ha.state', routerId: 'r1', host: 'h1', state: 'active', seq: 2 }),
    );

    expect(result.outcome).toBe('applied');
    expect(result.networks.map((n) => n.networkId)).toEqual(['tenant']);
    expect(result.networks[0]?.commands).toBeGreaterThan(0);
    expect(usage.requests).toEqual({ Query: 1, BatchGetItem: 1, TransactWriteItems: 1, BatchWriteItem: 1 });
    // 3 sequential rounds before the commands leave; the outbox delete after them is the 4th
    expect(atPublish).toEqual([3]);
    expect(usage.rounds).toBe(4);
    // the router's hosts were present before the failover (D17): no agent read, no snapshot
    expect(usage.requests.GetItem).toBeUndefined();
  });
  it('a warm function that moved the router before reads its network beside the Query: 2 rounds before the commands leave', async () => {
    const hints = createRouterNetworkHints();
    // cold: the hint is empty, so the failover costs what the test above measures, and fills it
    const cold = await measure(
      ev({ type: 'ha.state', routerId: 'r1', host: 'h0', state: 'active', seq: 3 }),
      hints,
    );
    expect(cold.atPublish).toEqual([3]);
    expect(hints.get('r1')).toBe('tenant');

    const warm = await measure(
      ev({ type: 'ha.state', routerId: 'r1', host: 'h1', state: 'active', seq: 4 }),
      hints,
    );
    expect(warm.result.outcome).toBe('applied');
    expect(warm.result.networks.map((n) => n.networkId)).toEqual(['tenant']);
    expect(warm.usage.requests).toEqual({
      Query: 1,
      BatchGetItem: 1,
      TransactWriteItems: 1,
      BatchWriteItem: 1,
    });
    expect(warm.atPublish).toEqual([2]);

    // a hint that names another network costs one unused read, in the same round, and no more
    hints.set('r1', 'ha-net');
    const wrong = await measure(
      ev({ type: 'ha.state', routerId: 'r1', host: 'h0', state: 'active', seq: 5 }),
      hints,
    );
    expect(wrong.result.networks.map((n) => n.networkId)).toEqual(['tenant']);
    expect(wrong.usage.requests).toEqual({
      Query: 1,
      BatchGetItem: 2,
      TransactWriteItems: 1,
      BatchWriteItem: 1,
    });
    expect(wrong.atPublish).toEqual([3]);
    expect(hints.get('r1')).toBe('tenant');
  });
});
