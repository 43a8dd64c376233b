import type { SizeResult } from './run-core-bench.js';
import type { Summary } from './stats.js';

const sig = (x: number, digits = 2) =>
  x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(digits);
const exp = (x: number) => x.toExponential(1);
const spread = (s: Summary, f: (x: number) => string) => `${f(s.median)} (${f(s.p10)}–${f(s.p90)})`;

function fullCells(r: SizeResult): [string, string, string] {
  if (r.full.measured)
    return [
      spread(r.full.msPerEvent.cpu, (x) => sig(x)),
      spread(r.full.ratio.cpu, exp),
      exp(r.full.ratio.wall.median),
    ];
  return [
    `~${sig(r.full.estimatedMsPerEvent.cpu)}*`,
    `~${exp(r.full.ratio.cpu)}*`,
    `~${exp(r.full.ratio.wall)}*`,
  ];
}

/** The Markdown table docs/benchmarks.md carries: CPU-time medians (p10–p90), and wall-time medians. */
export function formatCoreTable(sizes: readonly SizeResult[]): string {
  const head = [
    '| hosts | ports | incremental µs/event | full recompute ms/event | incremental / full | cost / cost at 1k ports | wall: incr. / full, cost / 1k | ports read |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const rows = sizes.map((r) => {
    const [fullMs, ratio, wallRatio] = fullCells(r);
    const cells = [
      r.hosts,
      r.ports.toLocaleString('en-US'),
      spread(r.incrementalUsPerEvent.cpu, (x) => sig(x, 3)),
      fullMs,
      ratio,
      spread(r.portsRatio.cpu, (x) => x.toFixed(2)),
      `${wallRatio}, ${r.portsRatio.wall.median.toFixed(2)}`,
      r.portsReadPerEvent,
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [...head, ...rows].join('\n');
}
