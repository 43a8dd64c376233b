import { dispatchEvent } from '../../../src/app/dispatch.js';
import type { InboundEvent } from '../../../src/contracts/events.js';
import { parseInboundEvent } from '../../../src/contracts/parse.js';
import type { Port } from '../../../src/core/types.js';
import type { BenchScenario, BenchServers } from '../runtime/bench-stack.js';
import { type EventCost, haInterfaceEvent, measureEvent } from '../runtime/measure-event-costs.js';
import { type ScaleSeed, type ScaleSpec, seedScale } from './seed-scale.js';

/** Every network: 10 hosts, 100 ports, and every agent in 10 networks (so 1 agent per network). */
export const SHAPE = { hostsPerNetwork: 10, portsPerNetwork: 100, networksPerAgent: 10 } as const;
const shape = SHAPE;

const ev = (o: Record<string, unknown>): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...o }));

interface Fleet {
  readonly label: string;
  readonly sc: BenchScenario;
  readonly seed: ScaleSeed;
  readonly run: (e: InboundEvent) => Promise<unknown>;
}

async function seedFleet(
  servers: BenchServers,
  label: string,
  n: number,
  o: { concurrency: number; log: (s: string) => void },
): Promise<Fleet> {
  const sc = await servers.scenario(label);
  const spec: ScaleSpec = { networks: n, ...shape };
  const target = Math.floor(n / 2);
  o.log(`${label}: seeding ${n} networks, ${n * shape.portsPerNetwork} ports`);
  const seed = await seedScale(servers.clients.doc, sc.tableName, spec, {
    concurrency: o.concurrency,
    target,
    log: o.log,
  });
  o.log(
    `  seeded ${seed.items} items in ${seed.seconds.toFixed(1)} s (${Math.round(seed.items / seed.seconds)} items/s)`,
  );
  const run = (e: InboundEvent) => dispatchEvent(sc.deps(), e);
  const t = seed.target;
  await Promise.all(t.agents.map((a) => sc.queues.url(a.host)));
  const [h0, h1] = t.agents.map((a) => a.host) as [string, string];
  const net = { id: t.network.id, networkType: 'vxlan', segmentId: t.network.segmentId };
  const flags = { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: { r1: 'master-binding' } };
  await run(ev({ type: 'flags.set', flags, revision: 1 }));
  await run(ev({ type: 'ha.schedule', routerId: 'r1', hosts: [h0, h1], revision: 1 }));
  await run(ev({ type: 'ha.state', routerId: 'r1', host: h0, state: 'active', seq: 1 }));
  const haIf = haInterfaceEvent(net, { id: 'ha-if', mac: 'fa:16:3e:ff:ff:01', ip: '10.255.255.1' });
  if (haIf.type !== 'port.upsert') throw new Error('haInterfaceEvent is a port.upsert');
  await run({ ...haIf, port: { ...haIf.port, host: h0 } });
  return { label, sc, seed, run };
}

/** Round r (0-9) on the fleet's target network: each event touches another port, and every host stays present. */
function roundEvents(f: Fleet, r: number): [string, InboundEvent][] {
  const t = f.seed.target;
  const net = { id: t.network.id, networkType: 'vxlan', segmentId: t.network.segmentId };
  const p = (i: number) => t.ports[i] as Port;
  const upsert = (port: Port) => ev({ type: 'port.upsert', network: net, port });
  const hosts = t.agents.map((a) => a.host);
  const changed = p(3 + 10 * r);
  // Alternately on h7 and h9: at most 5 of a host's 10 ports go in 10 rounds, so no host leaves.
  const deleted = p(10 * r + (r % 2 === 0 ? 7 : 9));
  return [
    ['port.upsert: IP change', upsert({ ...changed, ips: [`10.254.0.${r + 1}`], revision: 2 })],
    [
      'port.upsert: new port on a present host',
      upsert({
        ...p(5),
        id: `extra-${r}`,
        mac: `fa:16:3e:fe:00:${(r + 16).toString(16)}`,
        ips: [`10.254.1.${r + 1}`],
      }),
    ],
    ['port.delete', ev({ type: 'port.delete', portId: deleted.id, networkId: net.id, revision: 2 })],
    [
      'ha.state: failover under master-binding',
      ev({ type: 'ha.state', routerId: 'r1', host: hosts[(r + 1) % 2], state: 'active', seq: r + 2 }),
    ],
  ];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/**
 * Seeds a 1k-port fleet (10 networks) and a large one (`networks` networks) of the same shape into
 * one DynamoDB Local, then runs the same steady-state events through the use-cases on a network of
 * each, alternating, `rounds` times. Per fleet and event: the median requests, units, SQS calls, ms.
 */
export async function measureScale(
  servers: BenchServers,
  o: { networks: number; rounds: number; concurrency: number; log: (s: string) => void },
) {
  const small = await seedFleet(servers, 'scale-1k', 10, o);
  const large = await seedFleet(servers, `scale-${o.networks}`, o.networks, o);
  const samples = new Map<string, EventCost[]>();
  for (let r = 0; r < o.rounds; r++) {
    for (const f of [small, large]) {
      for (const [name, e] of roundEvents(f, r)) {
        const label = { event: name, hosts: shape.hostsPerNetwork, ports: f.seed.ports };
        const cost = await measureEvent(servers, f.sc, label, () => f.run(e));
        const key = `${f.label}\n${name}`;
        samples.set(key, [...(samples.get(key) ?? []), cost]);
      }
    }
  }
  const rows = [...samples.entries()].map(([key, cs]) => {
    const [fleet, event] = key.split('\n') as [string, string];
    const first = cs[0] as EventCost;
    const same = (k: keyof EventCost) => new Set(cs.map((c) => JSON.stringify(c[k]))).size === 1;
    return {
      fleet,
      event,
      ports: first.ports,
      dynamoRequests: first.dynamoRequests,
      dynamoRequestsTotal: median(cs.map((c) => c.dynamoRequestsTotal)),
      readUnits: median(cs.map((c) => c.readUnits)),
      writeUnits: median(cs.map((c) => c.writeUnits)),
      sqsCalls: median(cs.map((c) => c.sqsCalls)),
      sqsMessages: median(cs.map((c) => c.sqsMessages)),
      msMedian: median(cs.map((c) => c.ms)),
      msAll: cs.map((c) => c.ms),
      /** Per round: DynamoDB requests, RCU, WCU, SQS calls. */
      rounds: cs.map((c) => [c.dynamoRequestsTotal, c.readUnits, c.writeUnits, c.sqsCalls]),
      /** Whether requests, units and SQS calls were the same in every round. */
      steady: same('dynamoRequestsTotal') && same('readUnits') && same('writeUnits') && same('sqsCalls'),
    };
  });
  const fleets = [small, large].map((f) => ({
    label: f.label,
    networks: f.seed.spec.networks,
    agents: f.seed.agents,
    ports: f.seed.ports,
    itemsWritten: f.seed.items,
    seedSeconds: f.seed.seconds,
    seedItemsPerSecond: Math.round(f.seed.items / f.seed.seconds),
    targetNetwork: f.seed.target.network.id,
  }));
  return { fleets, rows };
}
