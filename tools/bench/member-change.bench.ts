import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { finishNetwork, type PlannedNetwork, planNetworkWith } from '../../src/app/network-planner.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { planFullRecompute } from '../../src/core/plan.js';
import type { Agent, HaRouter } from '../../src/core/types.js';
import { buildCoreFixture, type CoreFixture } from './core/fixture.js';
import { summarize } from './core/stats.js';

/**
 * `npm run bench:member [-- --quick]`: one agent changing its tunnel IP, planned by the runtime's
 * agent-change path (the engine's `members` row, `planMemberChanges`) against the brute-force reference it
 * replaced (two `computeDesiredNetwork`, `planFullRecompute`), side by side in one process,
 * alternating, on the same fixtures as the core bench. Each pair is checked to plan the same
 * commands. CPU time (user + system) per plan; the ratio is taken per pair. Writes
 * tools/bench/results/member-change.json (docs/benchmarks.md).
 */
const quick = process.argv.includes('--quick');
const sizes: [number, number, boolean][] = quick
  ? [
      [10, 1000, true],
      [100, 10_000, true],
    ]
  : [
      [10, 1000, true],
      [100, 10_000, true],
      [500, 10_000, true],
      // two desired states of 25M view entries do not fit the heap: the reference is not run
      [500, 50_000, false],
    ];
const pairs = quick ? 3 : 7;
const NO_ROUTERS: ReadonlyMap<string, HaRouter> = new Map();

function cpuMs<T>(f: () => T): { ms: number; value: T } {
  const t = process.cpuUsage();
  const value = f();
  const d = process.cpuUsage(t);
  return { ms: (d.user + d.system) / 1000, value };
}

/** h3 moves to a new tunnel IP: every other agent must swap its VTEP and the entries behind it. */
function moved(fx: CoreFixture, round: number): Map<string, Agent> {
  const agents = new Map(fx.agents);
  const h3 = agents.get('h3') as Agent;
  agents.set('h3', { ...h3, tunnelIp: `198.18.200.${(round % 200) + 1}`, revision: h3.revision + 1 });
  return agents;
}

function incremental(fx: CoreFixture, agents: ReadonlyMap<string, Agent>): PlannedNetwork {
  return planNetworkWith(
    fx.state,
    { kind: 'members', agents: new Map([['h3', agents.get('h3') ?? null]]), restarted: new Set() },
    { networkPorts: fx.allPorts },
  );
}

function reference(fx: CoreFixture, agents: ReadonlyMap<string, Agent>): PlannedNetwork {
  const facts = { network: fx.network, ports: fx.allPorts, routers: NO_ROUTERS, flags: DEFAULT_FLAGS };
  const plan = planFullRecompute(
    computeDesiredNetwork({ ...facts, agents: fx.agents }),
    computeDesiredNetwork({ ...facts, agents }),
  );
  return finishNetwork(fx.state, plan, fx.state.strategies, () => ({ ...facts, agents }));
}

const results = [];
for (const [hosts, ports, withReference] of sizes) {
  const fx = buildCoreFixture(hosts, ports, 0);
  incremental(fx, moved(fx, 0)); // warm-up
  const inc: number[] = [];
  const ref: number[] = [];
  const ratio: number[] = [];
  for (let round = 1; round <= pairs; round++) {
    const agents = moved(fx, round);
    const a = cpuMs(() => incremental(fx, agents));
    inc.push(a.ms);
    if (!withReference) continue;
    const b = cpuMs(() => reference(fx, agents));
    if (JSON.stringify(a.value.outbox) !== JSON.stringify(b.value.outbox))
      throw new Error(`${hosts} x ${ports}: the two paths planned different commands`);
    ref.push(b.ms);
    ratio.push(a.ms / b.ms);
  }
  const row = {
    hosts,
    ports,
    commands: incremental(fx, moved(fx, 1)).outbox?.commands.length ?? 0,
    memberChangeMs: summarize(inc),
    referenceMs: withReference ? summarize(ref) : null,
    ratio: withReference ? summarize(ratio) : null,
  };
  results.push(row);
  const fmt = (s: { median: number; p10: number; p90: number }, d = 0) =>
    `${s.median.toFixed(d)} (${s.p10.toFixed(d)}-${s.p90.toFixed(d)})`;
  console.log(
    `| ${hosts} | ${ports} | ${row.commands} | ${fmt(row.memberChangeMs)} | ${
      row.referenceMs ? fmt(row.referenceMs) : 'not run'
    } | ${row.ratio ? fmt(row.ratio, 3) : ''} |`,
  );
}

const out = {
  date: new Date().toISOString(),
  command: quick ? 'npm run bench:member -- --quick' : 'npm run bench:member',
  machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, loadAverage: os.loadavg() },
  node: process.version,
  method:
    'h3 changes its tunnel IP; CPU ms per plan; pairs alternate; ratio = member-change / reference per pair',
  results,
};
const file = quick
  ? path.join(os.tmpdir(), 'l2pop-member-change.quick.json')
  : path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'member-change.json');
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${file}`);
