import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatCoreTable } from './core/format-table.js';
import { type CoreBenchOptions, runCoreBench } from './core/run-core-bench.js';

/**
 * `npm run bench [-- --quick]`: the cost of one steady-state port event through the core's
 * incremental path (tools/bench/core/port-event.ts) for 10, 100 and 500 hosts x 1k, 10k and 100k ports,
 * against the full recompute of the same event and against the same hosts at 1k ports, measured
 * side by side in one process (docs/benchmarks.md). Writes tools/bench/results/core.json.
 */
const quick = process.argv.includes('--quick');
const grid = (hosts: number[], ports: number[]) =>
  hosts.flatMap((h) => ports.map((p) => ({ hosts: h, ports: p })));
const options: Omit<CoreBenchOptions, 'log'> = quick
  ? {
      sizes: grid([10, 100], [1000, 10_000]),
      rounds: 6,
      fullSamples: 3,
      fullBudgetMs: 2000,
      fullMaxViewEntries: 200_000,
      warmUpMs: 300,
      minSampleMs: 10,
    }
  : {
      sizes: grid([10, 100, 500], [1000, 10_000, 100_000]),
      rounds: 30,
      fullSamples: 7,
      fullBudgetMs: 20_000,
      // 500 x 10k view entries take ~1.2 GB per desired state; 100 x 100k would not fit the 4 GB heap.
      fullMaxViewEntries: 5_000_000,
      warmUpMs: 1000,
      minSampleMs: 50,
    };

const loadStart = os.loadavg();
const result = await runCoreBench({ ...options, log: (s) => console.log(s) });
const out = {
  date: new Date().toISOString(),
  command: quick ? 'npm run bench -- --quick' : 'npm run bench',
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: { start: loadStart, end: os.loadavg() },
    note: 'shared with other jobs: ratios are paired sample by sample, never taken from separate runs',
  },
  node: process.version,
  v8: process.versions.v8,
  method: {
    event:
      'alternately an IP change of an ACTIVE VM port and a new VM port coming ACTIVE, on a host already present',
    incremental: 'planIncremental as onPortChange calls it (planSourceChanges, then planCommands)',
    full: 'computeDesiredNetwork before and after, planFullRecompute, planCommands (the brute-force reference); one event per sample, the kinds alternating; checked to plan the same commands',
    clocks: 'cpu: process user + system time (leaves out time given to other jobs); wall: performance.now()',
    order:
      'each round samples every host count once, rotated; within a host count every event runs on each port count in turn, each call timed',
    ratios:
      'ports: per sample, against the 1k-port fixture sampled in the same calls; full: against incremental samples just before and after it',
    statistics: 'median, p10 and p90 over samples',
    rounds: options.rounds,
    warmUpMs: options.warmUpMs,
    minSampleMs: options.minSampleMs,
    loopsPerSample: result.loopsPerSample,
    eventsPerLoop: result.eventsPerLoop,
    fullMaxViewEntries: options.fullMaxViewEntries,
  },
  units: { incrementalUsPerEvent: 'µs', fullMsPerEvent: 'ms', portsReadPerEvent: 'distinct port facts read' },
  seconds: Math.round(result.seconds),
  sizes: result.sizes,
};
// A quick run is a smoke test: its numbers stay out of tools/bench/results.
const file = quick
  ? path.join(os.tmpdir(), 'l2pop-core-bench.quick.json')
  : path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'core.json');
await mkdir(path.dirname(file), { recursive: true });
const round = (_: string, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v);
await writeFile(file, `${JSON.stringify(out, round, 2)}\n`);
console.log(`\n${formatCoreTable(result.sizes)}`);
console.log(
  '\n* not run (memory): estimated from the largest measured size with the same hosts, a lower bound.',
);
console.log(
  `${Math.round(result.seconds)} s; written to ${quick ? file : path.relative(process.cwd(), file)}`,
);
