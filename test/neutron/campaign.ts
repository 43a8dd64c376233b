/**
 * A deep differential campaign against the real Neutron 21 l2pop code (issue 7).
 *
 *   tsx test/neutron/campaign.ts --count N [--seed S] [--jobs 2] [--events 40] [--shrink] [--save-regressions] [--cli]
 *
 * Traces come from seeds S, S+1, ..., S+N-1 (S defaults to the clock and is printed). The oracle
 * runs in `--jobs` long-lived batch workers (`test/neutron/oracle-harness --batch`, 1-5 s a trace),
 * or with `--cli` as one harness process per trace (8-30 s; docs/neutron-oracle.md). Each takes one CPU, so `--jobs`
 * should not exceed the free cores. Writes
 * test/neutron/results/campaign.json and, for every failing trace, the trace itself next to it
 * (shrunk with --shrink; also copied to test/neutron/regressions/ with --save-regressions).
 * Exit code 1 when a trace shows a bug or an error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type GeneratedTrace, generateTrace } from './generator.js';
import { oracleUnavailableReason, runOracle } from './oracle.js';
import { createOraclePool } from './oracle-worker.js';
import { mapPool } from './pool.js';
import { runDifferential, type TraceOutcome } from './run-trace.js';
import { failureSignature, shrinkTrace } from './shrink.js';
import { formatSummary, summarize } from './summary.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results');
const REGRESSIONS = join(HERE, 'regressions');

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    seed: { type: 'string' },
    jobs: { type: 'string' },
    events: { type: 'string' },
    shrink: { type: 'boolean', default: false },
    'save-regressions': { type: 'boolean', default: false },
    'max-shrink-runs': { type: 'string' },
    cli: { type: 'boolean', default: false },
  },
  strict: true,
});

const count = integer('count', values.count, 20);
const seed = integer('seed', values.seed, Date.now() % 1_000_000_000);
const jobs = Math.max(1, integer('jobs', values.jobs, 2));
const events = integer('events', values.events, 40);

const unavailable = oracleUnavailableReason();
if (unavailable) {
  console.error(`neutron campaign: cannot run the oracle: ${unavailable}`);
  process.exit(2);
}

const pool = createOraclePool({ jobs });
const oracle = values.cli ? (t: unknown) => runOracle(t) : pool.run;
console.log(
  `neutron campaign: ${count} traces, seeds ${seed}..${seed + count - 1}, ${events} events each, ${jobs} jobs`,
);
const started = Date.now();
let done = 0;
const outcomes: TraceOutcome[] = await mapPool(
  Array.from({ length: count }, (_, i) => seed + i),
  jobs,
  async (s) => {
    const o = await runDifferential(generateTrace(s, { events }), {
      name: `seed-${s}`,
      seed: s,
      runOracle: oracle,
    });
    done++;
    const kinds = [...new Set(o.comparison?.diffs.map((d) => d.kind) ?? [])].join(',');
    console.log(
      `[${done}/${count}] seed ${s}: ${o.verdict}${kinds ? ` (${kinds})` : ''} ${o.steps} steps, oracle ${(o.oracleMs / 1000).toFixed(1)} s`,
    );
    return o;
  },
);

mkdirSync(RESULTS, { recursive: true });
const shrunk: Record<string, { steps: number; runs: number; file: string }> = {};
for (const o of outcomes) {
  if ((o.verdict !== 'bug' && o.verdict !== 'error') || o.seed === null) continue;
  let trace: GeneratedTrace = generateTrace(o.seed, { events });
  if (values.shrink && o.verdict === 'bug') {
    console.log(`shrinking seed ${o.seed} (${trace.steps.length} steps)...`);
    const result = await shrinkTrace(
      trace,
      (t) => runDifferential(t, { name: `shrink-${o.seed}`, runOracle: oracle }),
      failureSignature(o),
      {
        jobs,
        maxRuns: integer('max-shrink-runs', values['max-shrink-runs'], 60),
        log: (l) => console.log(`  ${l}`),
      },
    );
    trace = { ...result.trace, description: `${trace.description}; shrunk from ${trace.steps.length} steps` };
    shrunk[String(o.seed)] = {
      steps: trace.steps.length,
      runs: result.runs,
      file: `bug-seed-${o.seed}.json`,
    };
  }
  const text = `${JSON.stringify(trace, null, 1)}\n`;
  writeFileSync(join(RESULTS, `bug-seed-${o.seed}.json`), text);
  if (values['save-regressions']) {
    mkdirSync(REGRESSIONS, { recursive: true });
    writeFileSync(join(REGRESSIONS, `seed-${o.seed}.json`), text);
  }
}

pool.close();
const summary = summarize(outcomes);
const durationMs = Date.now() - started;
console.log(`\n${formatSummary(summary)}\n\nwall time ${(durationMs / 1000).toFixed(0)} s`);
writeFileSync(
  join(RESULTS, 'campaign.json'),
  `${JSON.stringify(
    {
      seed,
      count,
      events,
      jobs,
      durationMs,
      summary,
      shrunk,
      traces: outcomes.map((o) => ({
        seed: o.seed,
        verdict: o.verdict,
        error: o.error,
        steps: o.steps,
        notifications: o.notifications,
        deviations: (o.comparison?.diffs ?? [])
          .filter((d) => d.kind !== 'bug')
          .map((d) => ({ ...d, entry: [...d.entry] })),
        bugs: summary.failing.find((f) => f.seed === o.seed)?.details ?? [],
        payloads: { compared: o.payloads.compared, equal: o.payloads.equal },
        agentView: o.agentView.map((d) => ({ ...d, entry: [...d.entry] })),
        coverage: o.coverage,
        oracleMs: o.oracleMs,
      })),
    },
    null,
    1,
  )}\n`,
);
console.log(`wrote ${join(RESULTS, 'campaign.json')}`);
process.exit(summary.bugs > 0 || summary.errors > 0 ? 1 : 0);
