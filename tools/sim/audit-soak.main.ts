import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../../scripts/build.mjs';
import { runAuditSoak } from './audit-soak.js';

/**
 * `npm run soak:audit -- --minutes 10 [--audit-s 3] [--churn-ms 400] [--seed 1]`: the drift audit's
 * no-false-positive soak (tools/sim/audit-soak.ts). Prints the result, writes
 * tools/bench/results/audit-soak.json, and exits 1 when an audit found drift or caused a repair.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'audit-s': { type: 'string', default: '3' },
    'churn-ms': { type: 'string', default: '400' },
    seed: { type: 'string', default: '1' },
  },
});
const num = (name: keyof typeof values, min: number) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} takes a number of at least ${min}`);
  return v;
};
const minutes = num('minutes', 0.1);
const result = await runAuditSoak({
  durationMs: minutes * 60_000,
  auditMs: num('audit-s', 0.5) * 1000,
  churnMs: num('churn-ms', 10),
  seed: num('seed', 0),
  log: (s) => console.log(s),
});
const out = {
  date: new Date().toISOString(),
  command: `npm run soak:audit -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { cpus: os.cpus().length, node: process.version, load: os.loadavg() },
  ...result,
};
await mkdir(path.join(ROOT, 'tools/bench/results'), { recursive: true });
await writeFile(path.join(ROOT, 'tools/bench/results/audit-soak.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify({ ...out, mismatches: out.mismatches.slice(0, 10) }, null, 1));
process.exitCode = result.ok ? 0 : 1;
