import { type AbSummary, formatBlackHole, seconds } from '../sim/ab-summary.js';
import { renderMarkdownTable } from './render-table.js';

/** The markdown summary written next to the HTML report. */
export function renderMarkdown(
  summary: AbSummary,
  o: { command: string; scenario: string; warnings?: readonly string[] },
): string {
  const out: string[] = [
    `# l2pop local A/B: ${o.scenario}`,
    '',
    `Run \`${summary.runId}\`, ${summary.startedAt}, ${seconds(summary.totalMs)} in all. Reproduce: \`${o.command}\`.`,
    '',
    renderMarkdownTable(summary),
    '',
    'Control messages and bytes: commands the functions sent to agent queues. DynamoDB: requests the',
    'functions made and the capacity DynamoDB Local reported, counted on the wire. Convergence: the',
    "new master's HA report to the last agent that applied a command. Black-hole: the simulated data",
    'plane, each VM pinging its gateway every 10 ms, last reply before the failure to first reply',
    'after it; "never" means not within the window (a learned entry ages out after 300 s), "no path"',
    'means the VM could not reach the router even before the failure. Copies/frame: underlay copies',
    'of one frame to the router MAC before the failure.',
    '',
    '## Failovers',
    '',
    '| strategy | failover | VRRP takeover | convergence | worst black-hole | never | no path | if the controller is down |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of summary.rows)
    for (const f of r.failovers)
      out.push(
        `| ${r.strategy} | ${f.phase} (${f.from} → ${f.to}, ${f.mode}) | ${seconds(f.takeoverMs)} | ${
          f.convergenceMs === null ? 'none needed' : seconds(f.convergenceMs)
        } | ${f.live.worstMs === null ? '—' : seconds(f.live.worstMs)} | ${f.live.never} | ${f.live.noPath} | ${formatBlackHole(f.controllerDown)} |`,
      );
  const phases = Object.keys(summary.rows[0]?.phaseMs ?? {});
  out.push('', '## Phases (first event sent to last agent apply)', '');
  out.push(`| phase | ${summary.rows.map((r) => r.strategy).join(' | ')} |`);
  out.push(`| --- | ${summary.rows.map(() => '---').join(' | ')} |`);
  for (const p of phases)
    out.push(`| ${p} | ${summary.rows.map((r) => seconds(r.phaseMs[p] ?? 0)).join(' | ')} |`);
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
