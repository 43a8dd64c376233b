import { dispatchEvent } from '../../../src/app/dispatch.js';
import type { InboundEvent } from '../../../src/contracts/events.js';
import { parseInboundEvent } from '../../../src/contracts/parse.js';
import { seedNetwork } from '../../support/seed-network.js';
import type { BenchServers } from './bench-stack.js';
import { type EventCost, haInterfaceEvent, measureEvent } from './measure-event-costs.js';

const ev = (o: Record<string, unknown>): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...o }));

/**
 * A failover of one HA router (master-binding) with an interface in each of `networks` networks
 * of `hosts` hosts and `ports` VM ports: the router fact is one transaction, then each network
 * moves in its own (docs/crash-safety.md, "HA changes"), so the cost is linear in networks.
 */
export async function measureWideFailover(
  servers: BenchServers,
  o: { networks: number; hosts: number; ports: number },
  log: (s: string) => void,
): Promise<EventCost & { networks: number; transactions: number }> {
  const sc = await servers.scenario(`wide${o.networks}`);
  const run = (e: InboundEvent) => dispatchEvent(sc.deps(), e);
  const t0 = Date.now();
  for (let n = 0; n < o.networks; n++) {
    await seedNetwork(servers.clients.doc, sc.tableName, {
      network: { id: `w${n}`, name: `w${n}`, networkType: 'vxlan', segmentId: 7000 + n },
      hosts: o.hosts,
      ports: o.ports,
      hostPrefix: 'h',
    });
  }
  log(`  seeded ${o.networks} networks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await Promise.all(Array.from({ length: o.hosts }, (_, i) => sc.queues.url(`h${i}`)));
  await run(
    ev({
      type: 'flags.set',
      flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
      revision: 1,
    }),
  );
  await run(ev({ type: 'ha.schedule', routerId: 'r1', hosts: ['h0', 'h1'], revision: 1 }));
  await run(ev({ type: 'ha.state', routerId: 'r1', host: 'h0', state: 'active', seq: 1 }));
  for (let n = 0; n < o.networks; n++) {
    await run(
      haInterfaceEvent(
        { id: `w${n}`, networkType: 'vxlan', segmentId: 7000 + n },
        { id: `w${n}-if`, mac: `fa:16:3e:fd:00:${n.toString(16).padStart(2, '0')}`, ip: `10.253.${n}.1` },
      ),
    );
  }
  const measured = await measureEvent(
    servers,
    sc,
    {
      event: `ha.state: failover of a router with interfaces in ${o.networks} networks`,
      hosts: o.hosts,
      ports: o.ports,
    },
    () => run(ev({ type: 'ha.state', routerId: 'r1', host: 'h1', state: 'active', seq: 2 })),
  );
  const cost = {
    ...measured,
    networks: o.networks,
    transactions: measured.dynamoRequests.TransactWriteItems ?? 0,
  };
  log(
    `  ${cost.event}: ${cost.dynamoRequestsTotal} req (${cost.transactions} transactions), ${cost.readUnits} RCU, ${cost.writeUnits} WCU, ${cost.sqsCalls} SQS calls, ${cost.sqsMessages} msgs, ${cost.ms} ms`,
  );
  await sc.drop();
  return cost;
}
