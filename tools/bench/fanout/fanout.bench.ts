import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../../scripts/build.mjs';
import { startSqsLocal } from '../../local/local-servers.js';
import { measureFanout, PRICE } from './measure-fanout.js';

/**
 * `npm run bench:fanout`: one steady-state port event's commands (planned by the product's
 * incremental path on a network of N hosts) published to every interested agent's FIFO queue by
 * (a) the product's publisher, SendMessageBatch per agent queue; (b) one SNS FIFO topic per network,
 * every present agent's queue subscribed with a filter on its host, one Publish per distinct body;
 * (c) the network's agents dealt over FIFO topics of at most 100 subscriptions (AWS's limit), one
 * PublishBatch per topic. Side by side on fauxqs, events interleaved; every queue is then drained
 * and each agent must have received exactly its own commands, in order (docs/benchmarks.md).
 * `--quick`: 10 and 50 hosts, 5 events. Writes tools/bench/results/fanout.json (fanout.quick.json).
 */
const quick = process.argv.includes('--quick');
const sizes = quick ? [10, 50] : [10, 50, 200, 500];
const events = quick ? 5 : 20;
const log = (s: string) => console.log(s);

const server = await startSqsLocal();
try {
  const measured = await measureFanout(server.endpoint, { sizes, events, tag: 'fan', log });
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench:fanout${quick ? ' -- --quick' : ''}`,
    machine: { cpus: os.cpus().length, node: process.version, load: os.loadavg() },
    server: 'fauxqs@2.4.1 in process (SQS and SNS; SNS fan-out runs synchronously inside Publish)',
    eventsPerSize: events,
    portsPerNetwork: 1000,
    prices: PRICE,
    ...measured,
  };
  const dir = path.join(ROOT, 'tools/bench/results');
  await mkdir(dir, { recursive: true });
  const file = quick ? 'fanout.quick.json' : 'fanout.json';
  await writeFile(path.join(dir, file), `${JSON.stringify(result, null, 2)}\n`);
  const rows = measured.rows;
  log(
    '\n| hosts | design | topics | API calls / event | delivered / event | ms / event (median) | events/s | $ / million events (API calls) | calls vs (a) |',
  );
  log('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const a = rows.find((x) => x.hosts === r.hosts && x.design === 'a: SQS per agent');
    const ratio = a ? (r.apiCallsPerEvent / a.apiCallsPerEvent).toFixed(3) : '';
    log(
      `| ${r.hosts} | ${r.design} | ${r.topics} | ${r.apiCallsPerEvent} | ${r.deliveredPerEvent} | ${r.msPerEventMedian} | ${r.eventsPerSecond} | ${r.dollarsPerMillionEvents.toFixed(2)} | ${ratio} |`,
    );
  }
  log(`\nwrote tools/bench/results/${file}`);
  if (rows.some((r) => !r.allDeliveredExactly)) process.exitCode = 1;
} finally {
  await server.stop();
}
