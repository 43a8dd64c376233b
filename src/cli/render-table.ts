import { type AbSummary, formatBlackHole, type SummaryRow, seconds } from '../sim/ab-summary.js';

/** The summary table's columns, shared by the terminal and the markdown renderings. */
export function summaryColumns(summary: AbSummary): { header: string; cell: (r: SummaryRow) => string }[] {
  const failovers = summary.rows[0]?.failovers ?? [];
  return [
    { header: 'strategy', cell: (r) => r.strategy },
    { header: 'control msgs', cell: (r) => String(r.messages) },
    { header: 'bytes', cell: (r) => String(r.bytes) },
    { header: 'DynamoDB req (RCU/WCU)', cell: (r) => `${r.dynamoRequests} (${r.readUnits}/${r.writeUnits})` },
    {
      header: 'convergence (report to last apply)',
      cell: (r) =>
        r.failovers
          .map((f) => (f.convergenceMs === null ? 'none needed' : seconds(f.convergenceMs)))
          .join(' / '),
    },
    ...failovers.map((f, i) => ({
      header: `black-hole: ${f.phase}`,
      cell: (r: SummaryRow) => {
        const x = r.failovers[i];
        return x ? formatBlackHole(x.live) : '';
      },
    })),
    {
      header: 'black-hole if the controller is down',
      cell: (r) => r.failovers.map((f) => formatBlackHole(f.controllerDown)).join(' / '),
    },
    {
      header: 'copies/frame to router MAC (mean/max)',
      cell: (r) => {
        const f = r.failovers[0];
        return f ? `${f.fanOut.mean.toFixed(2)} / ${f.fanOut.max}` : 'n/a';
      },
    },
    { header: 'converged', cell: (r) => (r.converged ? 'yes' : `NO (${r.mismatches.length})`) },
  ];
}

/** A plain-text table for the terminal: one row per strategy. */
export function renderTextTable(summary: AbSummary): string {
  const cols = summaryColumns(summary);
  const cells = [cols.map((c) => c.header), ...summary.rows.map((r) => cols.map((c) => c.cell(r)))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const [head, ...body] = cells;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The same table in GitHub markdown. */
export function renderMarkdownTable(summary: AbSummary): string {
  const cols = summaryColumns(summary);
  const row = (xs: string[]) => `| ${xs.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    row(cols.map((c) => c.header)),
    row(cols.map(() => '---')),
    ...summary.rows.map((r) => row(cols.map((c) => c.cell(r)))),
  ].join('\n');
}
