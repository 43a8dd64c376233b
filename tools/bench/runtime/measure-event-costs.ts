import { dispatchEvent } from '../../../src/app/dispatch.js';
import type { InboundEvent } from '../../../src/contracts/events.js';
import { parseInboundEvent } from '../../../src/contracts/parse.js';
import type { Port } from '../../../src/core/types.js';
import { seedNetwork } from '../../support/seed-network.js';
import type { BenchScenario, BenchServers } from './bench-stack.js';

export interface EventCost {
  readonly event: string;
  readonly hosts: number;
  readonly ports: number;
  readonly dynamoRequests: Record<string, number>;
  readonly dynamoRequestsTotal: number;
  /** Sequential DynamoDB rounds: requests started with none in flight (the meter's `rounds`). */
  readonly rounds: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly sqsCalls: number;
  readonly sqsMessages: number;
  readonly sqsBytes: number;
  readonly ms: number;
}

const ev = (o: Record<string, unknown>): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...o }));

/**
 * DynamoDB requests and consumed capacity, and SQS calls and messages, of one event of each type on
 * a network of `hosts` agents and `ports` VM ports, seeded with BatchWriteItem, plus an HA router
 * (master-binding, interface in the network). Each event runs the use-case exactly as a function does.
 */
export async function measureEventCosts(
  servers: BenchServers,
  hosts: number,
  ports: number,
  log: (s: string) => void,
): Promise<EventCost[]> {
  const sc = await servers.scenario(`${hosts}h${ports}p`);
  const id = 'net';
  const network = { id, name: id, networkType: 'vxlan', segmentId: 5000 };
  const t0 = Date.now();
  const seeded = await seedNetwork(servers.clients.doc, sc.tableName, {
    network,
    hosts,
    ports,
    hostPrefix: 'h',
  });
  log(`  seeded ${seeded.items} items in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await Promise.all(seeded.agents.map((a) => sc.queues.url(a.host)));
  const run = (e: InboundEvent) => dispatchEvent(sc.deps(), e);
  const net = { id, networkType: 'vxlan', segmentId: 5000 };
  await run(
    ev({
      type: 'flags.set',
      flags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: { r1: 'master-binding' } },
      revision: 1,
    }),
  );
  await run(ev({ type: 'ha.schedule', routerId: 'r1', hosts: ['h0', 'h1'], revision: 1 }));
  await run(ev({ type: 'ha.state', routerId: 'r1', host: 'h0', state: 'active', seq: 1 }));
  await run(haInterfaceEvent(net, { id: 'ha-if', mac: 'fa:16:3e:ff:ff:01', ip: '10.255.255.1' }));
  await run(
    ev({
      type: 'agent.report',
      host: 'newcomer',
      tunnelIp: '198.18.255.1',
      agentType: 'ovs',
      networkTypes: ['vxlan'],
      capabilities: { learning: true, arp: 'responder' },
      bootId: 'b',
      revision: 1,
    }),
  );
  await sc.queues.url('newcomer');

  const p = (i: number) => seeded.ports[i] as Port;
  const agentOf = (host: string) => {
    const a = seeded.agents.find((x) => x.host === host);
    if (!a) throw new Error(`no agent ${host}`);
    return { type: 'agent.report', ...a };
  };
  const upsert = (port: Port, change: Partial<Port>) =>
    ev({ type: 'port.upsert', network: net, port: { ...port, ...change } });
  const cases: [string, InboundEvent][] = [
    ['port.upsert: IP change (steady state)', upsert(p(3), { ips: ['10.254.0.3'], revision: 2 })],
    [
      'port.upsert: new port on a present host (steady state)',
      upsert({ ...p(5), id: 'extra', mac: 'fa:16:3e:fe:00:01', ips: ['10.254.1.1'] }, { revision: 1 }),
    ],
    ['port.delete (steady state)', ev({ type: 'port.delete', portId: p(7).id, networkId: id, revision: 2 })],
    ['port.upsert: first port of a host (join, snapshot)', upsert(p(9), { host: 'newcomer', revision: 2 })],
    [
      'ha.state: failover under master-binding',
      ev({ type: 'ha.state', routerId: 'r1', host: 'h1', state: 'active', seq: 2 }),
    ],
    ['agent.resync: one network', ev({ type: 'agent.resync', host: 'h2', networkId: id })],
    [
      'flags.set: flip the router to tunnel',
      ev({
        type: 'flags.set',
        flags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: {} },
        revision: 2,
      }),
    ],
    ['agent.report: repeat (same boot id and facts)', ev({ ...agentOf(p(6).host), revision: 2 })],
    [
      'agent.report: restart (new boot id, same facts)',
      ev({ ...agentOf(p(8).host), revision: 2, bootId: 'boot-2' }),
    ],
    [
      'agent.report: tunnel IP change',
      ev({
        type: 'agent.report',
        host: 'h4',
        tunnelIp: '198.18.254.4',
        agentType: 'ovs',
        networkTypes: ['vxlan'],
        capabilities: { learning: true, arp: 'responder' },
        bootId: 'boot-1',
        revision: 2,
      }),
    ],
  ];
  const out: EventCost[] = [];
  for (const [name, e] of cases) {
    const cost = await measureEvent(servers, sc, { event: name, hosts, ports }, () => run(e));
    log(
      `  ${name}: ${cost.dynamoRequestsTotal} req in ${cost.rounds} rounds, ${cost.readUnits} RCU, ${cost.writeUnits} WCU, ${cost.sqsCalls} SQS calls, ${cost.sqsMessages} msgs, ${cost.ms} ms`,
    );
    out.push(cost);
  }
  await sc.drop();
  return out;
}

/** An ACTIVE interface of HA router r1, bound to h0, in `network`. */
export function haInterfaceEvent(
  network: { id: string; networkType: string; segmentId: number },
  p: { id: string; mac: string; ip: string },
): InboundEvent {
  return ev({
    type: 'port.upsert',
    network,
    port: {
      id: p.id,
      networkId: network.id,
      mac: p.mac,
      ips: [p.ip],
      deviceOwner: 'network:ha_router_replicated_interface',
      deviceId: 'r1',
      host: 'h0',
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    },
  });
}

/** Runs `action` (null: nothing) and returns what it cost: DynamoDB requests and units, SQS calls, time. */
export async function measureEvent(
  servers: BenchServers,
  sc: BenchScenario,
  label: Pick<EventCost, 'event' | 'hosts' | 'ports'>,
  action: () => Promise<unknown>,
): Promise<EventCost> {
  servers.clients.meter.reset();
  const sqs0 = { ...sc.publisher.usage };
  const t = Date.now();
  await action();
  const u = servers.clients.meter.usage();
  return {
    ...label,
    dynamoRequests: u.requests,
    dynamoRequestsTotal: Object.values(u.requests).reduce((a, b) => a + b, 0),
    rounds: u.rounds ?? 0,
    readUnits: u.readUnits,
    writeUnits: u.writeUnits,
    sqsCalls: sc.publisher.usage.calls - sqs0.calls,
    sqsMessages: sc.publisher.usage.messages - sqs0.messages,
    sqsBytes: sc.publisher.usage.bytes - sqs0.bytes,
    ms: Date.now() - t,
  };
}
