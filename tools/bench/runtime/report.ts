import type { BenchServers } from './bench-stack.js';
import { type CoalescingResult, measureCoalescing } from './measure-coalescing.js';
import { type EventCost, measureEventCosts } from './measure-event-costs.js';

/** The host counts of the throughput rows; the last one also gives the coalescing ratio. */
export const REPORT_HOSTS = [10, 50, 200, 500] as const;
/** Ports of every network the report seeds: a steady-state event's cost should not depend on it. */
const PORTS = 1000;
/** The hosts of the per-event cost rows (issue 15: 10 and 500). */
const COST_HOSTS = [10, 500] as const;
/**
 * Events per mode at each host count: enough for a rate over several seconds, few enough that the
 * run takes about 15 minutes on a loaded 2-core machine (an event at 500 hosts sends 499 messages).
 */
const eventsAt = (hosts: number) =>
  hosts >= 200 ? { single: 40, coalesced: 200 } : { single: 100, coalesced: 500 };
/** The two modes alternate in slices, so a change of the machine's load weighs on both. */
const ROUNDS = 4;

const STEADY = /\(steady state\)$/;
const HA = /^ha\.state: failover under master-binding$/;

export interface RuntimeReport {
  /** What the run measured: network sizes, events per mode at each host count, alternating slices. */
  readonly plan: {
    readonly ports: number;
    readonly costHosts: readonly number[];
    readonly events: readonly { hosts: number; single: number; coalesced: number }[];
    readonly rounds: number;
  };
  /** Every event type's cost at 10 and 500 hosts (`measureEventCosts`), with the meter's rounds. */
  readonly costs: readonly EventCost[];
  /** Port events through the bundled function at each host count, batches of 1 and of 10. */
  readonly throughput: readonly CoalescingResult[];
  readonly summary: {
    /** Per steady-state event type and host count: DynamoDB requests, rounds and WCU. */
    readonly steady: readonly Pick<
      EventCost,
      'event' | 'hosts' | 'dynamoRequestsTotal' | 'rounds' | 'writeUnits' | 'readUnits'
    >[];
    /** The master-binding `ha.state` of a router on one network: requests and sequential rounds. */
    readonly ha: readonly Pick<EventCost, 'hosts' | 'dynamoRequestsTotal' | 'rounds' | 'writeUnits'>[];
    /** Coalesced events/s over one-event-per-commit events/s at 500 hosts, in the same run. */
    readonly coalescingRatio: number;
  };
}

/**
 * Everything issue 15's "Done when" asks of `bench:runtime`, in one run on one pair of local
 * servers: requests, rounds and WCU per event at 10 and 500 hosts; events/s at 10, 50, 200 and 500
 * hosts with one event per commit and with batches of 10 of one network, side by side (their ratio
 * at 500 hosts is the coalescing ratio); the DynamoDB rounds of a master-binding `ha.state`.
 */
export async function measureReport(servers: BenchServers, log: (s: string) => void): Promise<RuntimeReport> {
  const costs: EventCost[] = [];
  for (const hosts of COST_HOSTS) {
    log(`costs per event: ${hosts} hosts, ${PORTS} ports`);
    costs.push(...(await measureEventCosts(servers, hosts, PORTS, log)));
  }
  const throughput: CoalescingResult[] = [];
  for (const hosts of REPORT_HOSTS) {
    log(`events/s: ${hosts} hosts, ${PORTS} ports, batches of 1 and of 10`);
    throughput.push(
      await measureCoalescing(
        servers,
        {
          hosts,
          ports: PORTS,
          singleEvents: eventsAt(hosts).single,
          coalescedEvents: eventsAt(hosts).coalesced,
          rounds: ROUNDS,
        },
        log,
      ),
    );
  }
  const largest = throughput.find((t) => t.hosts === 500);
  if (!largest) throw new Error('the report measured no 500-host network');
  const pick = <K extends keyof EventCost>(c: EventCost, keys: readonly K[]) =>
    Object.fromEntries(keys.map((k) => [k, c[k]])) as Pick<EventCost, K>;
  return {
    plan: {
      ports: PORTS,
      costHosts: COST_HOSTS,
      events: REPORT_HOSTS.map((hosts) => ({ hosts, ...eventsAt(hosts) })),
      rounds: ROUNDS,
    },
    costs,
    throughput,
    summary: {
      steady: costs
        .filter((c) => STEADY.test(c.event))
        .map((c) => pick(c, ['event', 'hosts', 'dynamoRequestsTotal', 'rounds', 'writeUnits', 'readUnits'])),
      ha: costs
        .filter((c) => HA.test(c.event))
        .map((c) => pick(c, ['hosts', 'dynamoRequestsTotal', 'rounds', 'writeUnits'])),
      coalescingRatio: largest.speedup,
    },
  };
}

const fixed = (n: number, digits = 1) => n.toFixed(digits);

/** The report as the Markdown tables docs/benchmarks.md describes. */
export function reportMarkdown(r: RuntimeReport): string {
  const lines = [
    '| event | hosts | DynamoDB requests | rounds | RCU | WCU |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.summary.steady.map(
      (c) =>
        `| ${c.event} | ${c.hosts} | ${c.dynamoRequestsTotal} | ${c.rounds} | ${c.readUnits} | ${c.writeUnits} |`,
    ),
    ...r.summary.ha.map(
      (c) =>
        `| ha.state, master-binding, one network | ${c.hosts} | ${c.dynamoRequestsTotal} | ${c.rounds} | | ${c.writeUnits} |`,
    ),
    '',
    '| hosts | one event per commit: events/s | messages/event | batches of 10: events/s | events/commit | messages/event | ratio | a commit of 1 / of 10: requests, WCU |',
    '|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.throughput.map(
      (t) =>
        `| ${t.hosts} | ${fixed(t.single.eventsPerSecond)} | ${fixed(t.single.messagesPerEvent)} | ${fixed(t.coalesced.eventsPerSecond)} | ${fixed(t.coalesced.eventsPerCommit)} | ${fixed(t.coalesced.messagesPerEvent)} | ${fixed(t.speedup)}x | ${t.single.commit.dynamoRequests}, ${t.single.commit.writeUnits} / ${t.coalesced.commit.dynamoRequests}, ${t.coalesced.commit.writeUnits} |`,
    ),
    '',
    `coalescing ratio at 500 hosts (batches of 10 against one event per commit, same run): ${fixed(r.summary.coalescingRatio)}x`,
  ];
  return lines.join('\n');
}
