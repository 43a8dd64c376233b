import { type AbSummary, seconds } from '../sim/ab-summary.js';
import { costTable, failoverTables, renderMarkdownTable } from './render-table.js';
import { LEGEND, verdictText } from './render-verdict.js';

/** The markdown summary written next to the HTML report. */
export function renderMarkdown(
  summary: AbSummary,
  o: { command: string; scenario: string; warnings?: readonly string[] },
): string {
  const v = verdictText(summary);
  const out: string[] = [
    `# l2pop local A/B: ${o.scenario}`,
    '',
    `Run \`${summary.runId}\`, ${summary.startedAt}, ${seconds(summary.totalMs)} in all. Reproduce: \`${o.command}\`.`,
    '',
    `**Verdict: ${v.headline}**`,
    '',
    ...v.strategies.map((s) => `- ${s.strategy}: ${s.text}`),
    ...(v.gaps.length > 0 ? ['', 'Without a gateway or VIP:', ''] : []),
    ...v.gaps.map((g) => `- ${g.strategy}, ${g.phase}: ${g.vms.join(', ')}: ${g.reason}`),
    '',
    `## ${costTable(summary).title}`,
    '',
    renderMarkdownTable(costTable(summary)),
  ];
  for (const t of failoverTables(summary)) out.push('', `## ${t.title}`, '', renderMarkdownTable(t));
  out.push('', '## Legend', '', ...LEGEND.map(([t, d]) => `- **${t}**: ${d}`));
  out.push(
    '',
    'Control messages and bytes: commands the functions sent to agent queues. DynamoDB: requests the',
    'functions made and the capacity DynamoDB Local reported, counted on the wire. The black-holes come',
    'from the simulated data plane, each VM pinging its gateway (for a VIP failover: the VIP) every 10 ms;',
    'a learned entry ages out after 300 s, so "never" outlasts the window.',
  );
  const phases = Object.keys(summary.rows[0]?.phaseMs ?? {});
  out.push('', '## Phases (first event sent to last agent apply)', '');
  out.push(
    renderMarkdownTable({
      header: ['phase', ...summary.rows.map((r) => r.strategy)],
      rows: phases.map((p) => [p, ...summary.rows.map((r) => seconds(r.phaseMs[p] ?? 0))]),
    }),
  );
  const bad = summary.rows.filter((r) => !r.converged);
  if (bad.length > 0) {
    out.push('', '## Not converged', '');
    for (const r of bad) for (const m of r.mismatches.slice(0, 20)) out.push(`- ${r.strategy}: \`${m}\``);
  }
  if (o.warnings && o.warnings.length > 0) {
    out.push('', '## Warnings: what the controller did not act on', '');
    for (const w of o.warnings) out.push(`- ${w}`);
  }
  return `${out.join('\n')}\n`;
}
