import { auditEvents } from '../../../agent/audit-digest.js';
import { dispatchEvent } from '../../../src/app/dispatch.js';
import { intendedTables } from '../../../src/cli/controller-view.js';
import type { AgentAuditEvent, InboundEvent } from '../../../src/contracts/events.js';
import { parseInboundEvent } from '../../../src/contracts/parse.js';
import { computeHoldsArp, computeTableDigest } from '../../../src/core/digest.js';
import type { BenchServers } from '../runtime/bench-stack.js';
import { type EventCost, measureEvent } from '../runtime/measure-event-costs.js';
import type { MeasuredAudit } from './compute-audit-cost.js';

const ev = (o: Record<string, unknown>): InboundEvent => parseInboundEvent(JSON.stringify({ v: 1, ...o }));

export interface AuditCostCase extends MeasuredAudit {
  readonly label: string;
  /** Ports in the networks audited (the cost must not grow with them). */
  readonly ports: number;
  /** Repair commands the audit caused: 0, since every agent holds exactly its view. */
  readonly sqsMessages: number;
  readonly dynamoRequestsByOperation: Record<string, number>;
  readonly rounds: readonly [number, number, number][];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Builds, through the real use-cases, `hosts` agents in `smallNetworks` networks of one port per
 * agent and one network of `bigPorts` ports, then meters `agent.audit` messages of agent h0 that
 * report exactly what it should hold (the steady state: no drift, no repair): one small network,
 * the big network, and all the small networks in one message. Each case runs `rounds` times.
 */
export async function measureAuditCost(
  servers: BenchServers,
  o: { hosts: number; smallNetworks: number; bigPorts: number; rounds: number; log: (s: string) => void },
): Promise<AuditCostCase[]> {
  const sc = await servers.scenario('audit-cost');
  const run = (e: InboundEvent) => dispatchEvent(sc.deps(), e);
  const hosts = Array.from({ length: o.hosts }, (_, i) => `h${i}`);
  for (const [i, host] of hosts.entries())
    await run(
      ev({
        type: 'agent.report',
        host,
        tunnelIp: `198.18.0.${i + 1}`,
        agentType: 'ovs',
        networkTypes: ['vxlan'],
        capabilities: { learning: false, arp: 'responder' },
        bootId: 'boot-1',
        revision: 1,
      }),
    );
  await Promise.all(hosts.map((h) => sc.queues.url(h)));
  const addNetwork = async (id: string, segmentId: number, ports: number) => {
    const network = { id, networkType: 'vxlan', segmentId };
    for (let p = 0; p < ports; p++)
      await run(
        ev({
          type: 'port.upsert',
          network,
          port: {
            id: `${id}-p${p}`,
            networkId: id,
            mac: `fa:16:3e:${(segmentId & 255).toString(16).padStart(2, '0')}:${((p >> 8) & 255).toString(16).padStart(2, '0')}:${(p & 255).toString(16).padStart(2, '0')}`,
            ips: [`10.${segmentId & 255}.${(p >> 8) & 255}.${p & 255}`],
            deviceOwner: 'compute:nova',
            deviceId: `vm-${id}-${p}`,
            host: hosts[p % hosts.length],
            status: 'ACTIVE',
            dvrHosts: [],
            revision: 1,
          },
        }),
      );
  };
  const t0 = Date.now();
  const small = Array.from({ length: o.smallNetworks }, (_, i) => `n${i}`);
  for (const [i, id] of small.entries()) await addNetwork(id, 100 + i, o.hosts);
  await addNetwork('big', 99, o.bigPorts);
  o.log(
    `  built ${small.length} networks of ${o.hosts} ports and 1 of ${o.bigPorts} in ${Date.now() - t0} ms`,
  );

  const store = sc.deps().store;
  const { agent, networks } = await intendedTables(store, 'h0');
  if (!agent) throw new Error('agent h0 is not in the store');
  const holdsArp = computeHoldsArp(agent.capabilities);
  const auditOf = (ids: readonly string[]): AgentAuditEvent => {
    const [event, ...rest] = auditEvents({
      host: 'h0',
      bootId: agent.bootId,
      readAt: Date.now(),
      networks: networks
        .filter((n) => ids.includes(n.networkId))
        .map((n) => ({
          networkId: n.networkId,
          version: n.sentVersion,
          digest: computeTableDigest(n.table, holdsArp),
        })),
    });
    if (!event || rest.length > 0) throw new Error(`${ids.length} networks do not fit one audit message`);
    if (event.networks.length !== ids.length) throw new Error(`h0 is not in all of ${ids.join(', ')}`);
    return event;
  };
  const cases: [string, AgentAuditEvent, number][] = [
    [`1 network of ${o.hosts} ports`, auditOf([small[0] as string]), o.hosts],
    [`1 network of ${o.bigPorts} ports`, auditOf(['big']), o.bigPorts],
    [`${small.length} networks of ${o.hosts} ports`, auditOf(small), small.length * o.hosts],
  ];
  const out: AuditCostCase[] = [];
  for (const [label, event, ports] of cases) {
    const costs: EventCost[] = [];
    for (let r = 0; r < o.rounds; r++)
      costs.push(
        await measureEvent(servers, sc, { event: label, hosts: o.hosts, ports }, () =>
          run({ ...event, readAt: Date.now() }),
        ),
      );
    const c = costs[costs.length - 1] as EventCost;
    out.push({
      label,
      networks: event.networks.length,
      ports,
      dynamoRequests: median(costs.map((x) => x.dynamoRequestsTotal)),
      readUnits: median(costs.map((x) => x.readUnits)),
      writeUnits: median(costs.map((x) => x.writeUnits)),
      ms: median(costs.map((x) => x.ms)),
      sqsMessages: Math.max(...costs.map((x) => x.sqsMessages)),
      dynamoRequestsByOperation: c.dynamoRequests,
      rounds: costs.map((x) => [x.dynamoRequestsTotal, x.readUnits, x.writeUnits]),
    });
    o.log(
      `  ${label}: ${out.at(-1)?.dynamoRequests} req, ${out.at(-1)?.readUnits} RCU, ${out.at(-1)?.writeUnits} WCU, ${out.at(-1)?.sqsMessages} repair msgs, ${out.at(-1)?.ms} ms`,
    );
  }
  await sc.drop();
  return out;
}
