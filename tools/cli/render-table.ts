import {
  type AbSummary,
  type BlackHole,
  type FailoverSummary,
  type SummaryRow,
  seconds,
} from '../sim/ab-summary.js';
import { LEGEND, verdictText } from './render-verdict.js';

/** The terminal summary fits this many columns. */
export const TERMINAL_WIDTH = 120;

export interface Table {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The cost of the whole scenario: one row per strategy. */
export function costTable(summary: AbSummary): Table {
  const copies = (r: SummaryRow) => {
    const f = r.failovers[0];
    return f ? `${f.fanOut.mean.toFixed(2)} / ${f.fanOut.max}` : 'n/a';
  };
  return {
    title: 'Cost of the whole scenario',
    header: ['strategy', 'msgs', 'KiB', 'DynamoDB req (RCU/WCU)', 'copies/frame (mean/max)', 'converged'],
    rows: summary.rows.map((r) => [
      r.strategy,
      String(r.messages),
      (r.bytes / 1024).toFixed(1),
      `${r.dynamoRequests} (${r.readUnits}/${r.writeUnits})`,
      copies(r),
      r.converged ? 'yes' : `NO (${r.mismatches.length})`,
    ]),
  };
}

/** `0.83 s`, `4 never, 0.83 s, 2 no path`: the worst black-hole, short enough for three columns. */
export function formatBlackHoleShort(b: BlackHole): string {
  const parts: string[] = [];
  if (b.never > 0) parts.push(`${b.never} never`);
  if (b.worstMs !== null) parts.push(seconds(b.worstMs));
  if (b.noPath > 0) parts.push(`${b.noPath} no path`);
  return parts.length > 0 ? parts.join(', ') : 'n/a';
}

/** One row per failover, a column per strategy. */
function perFailover(summary: AbSummary, title: string, cell: (f: FailoverSummary) => string): Table {
  const failovers = summary.rows[0]?.failovers ?? [];
  return {
    title,
    header: ['failover', 'VRRP', ...summary.rows.map((r) => r.strategy)],
    rows: failovers.map((f, i) => [
      `${f.phase}`,
      seconds(f.takeoverMs),
      ...summary.rows.map((r) => {
        const x = r.failovers[i];
        return x ? cell(x) : '';
      }),
    ]),
  };
}

export function failoverTables(summary: AbSummary): Table[] {
  return [
    perFailover(summary, 'Worst black-hole per failover', (f) => formatBlackHoleShort(f.live)),
    perFailover(summary, 'Controller convergence (report to last apply)', (f) =>
      f.convergenceMs === null ? 'none needed' : seconds(f.convergenceMs),
    ),
    perFailover(summary, 'Worst black-hole if the controller is down', (f) =>
      formatBlackHoleShort(f.controllerDown),
    ),
  ];
}

const clip = (s: string, w: number) => (s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}…`);

/** Plain text columns, two spaces apart; the widest column gives way (clipped with …) past `max`. */
export function renderColumns(t: Table, max = TERMINAL_WIDTH): string {
  const cells = [t.header, ...t.rows];
  const widths = t.header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total() > max) {
    const i = widths.indexOf(Math.max(...widths));
    widths[i] = (widths[i] ?? 1) - 1;
  }
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => clip(c, widths[i] ?? 0).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [t.title, line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join(
    '\n',
  );
}

/** Words wrapped to `max` columns, later lines indented by `indent`. */
export function wrap(text: string, max = TERMINAL_WIDTH, indent = '  '): string {
  const out: string[] = [];
  const lead = /^ */.exec(text)?.[0] ?? '';
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const candidate = line === lead ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length > max && line.trim() !== '') {
      out.push(line);
      line = `${indent}${word}`;
    } else line = candidate;
  }
  out.push(line);
  return out.map((l) => clip(l, max)).join('\n');
}

/** The terminal summary: the verdict, one row per strategy for costs, one row per failover, a legend. */
export function renderTextTable(summary: AbSummary): string {
  const v = verdictText(summary);
  const name = Math.max(0, ...v.strategies.map((s) => s.strategy.length));
  const verdict = [
    wrap(`verdict: ${v.headline}`),
    ...v.strategies.map((s) =>
      wrap(`  ${s.strategy.padEnd(name)}  ${s.text}`, TERMINAL_WIDTH, ' '.repeat(name + 4)),
    ),
    ...(v.gaps.length > 0 ? ['without a gateway or VIP:'] : []),
    ...v.gaps.map((g) =>
      wrap(`  ${g.strategy}, ${g.phase}: ${g.vms.join(', ')}: ${g.reason}`, TERMINAL_WIDTH, '    '),
    ),
  ];
  const term = Math.max(...LEGEND.map(([t]) => t.length));
  return [
    renderColumns(costTable(summary)),
    ...failoverTables(summary).map((t) => renderColumns(t)),
    [
      'legend:',
      ...LEGEND.map(([t, d]) => wrap(`  ${t.padEnd(term)}  ${d}`, TERMINAL_WIDTH, ' '.repeat(term + 4))),
    ].join('\n'),
    verdict.join('\n'),
  ].join('\n\n');
}

/** A table in GitHub markdown. */
export function renderMarkdownTable(t: Pick<Table, 'header' | 'rows'>): string {
  const row = (xs: readonly string[]) => `| ${xs.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [row(t.header), row(t.header.map(() => '---')), ...t.rows.map(row)].join('\n');
}
