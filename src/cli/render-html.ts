import type { AbResult } from '../sim/ab-run.js';
import type { AbSummary } from '../sim/ab-summary.js';
import type { FailoverRun } from '../sim/failover-eval.js';
import { barChart, esc, SVG_STYLE, type TimelineRow, timelineChart } from './render-svg.js';
import { summaryColumns } from './render-table.js';

export interface HtmlInput {
  readonly summary: AbSummary;
  readonly ab: AbResult;
  readonly scenario: string;
  readonly command: string;
  /** host -> what kind of agent it is ("Open vSwitch, learning, responder"). */
  readonly agentKinds: Readonly<Record<string, string>>;
}

function failoverChart(
  strategy: string,
  phase: string,
  f: FailoverRun,
  kinds: HtmlInput['agentKinds'],
): string {
  const rows: TimelineRow[] = f.live.vms.map((v) => ({
    label: `${v.host} · ${v.networkId}${kinds[v.host] ? ` (${kinds[v.host]})` : ''}`,
    firstReplyMs: v.firstReplyMs,
    noPath: !v.okBefore,
  }));
  const convergedAt = f.convergenceMs === null ? null : f.reportAt - f.t0 + f.convergenceMs;
  const replies = f.live.vms.flatMap((v) => (v.firstReplyMs === null ? [] : [v.firstReplyMs]));
  const span = Math.max(2000, f.takeoverMs + 1500, (convergedAt ?? 0) + 800, ...replies.map((r) => r + 500));
  return timelineChart({
    title: `${strategy}: ${phase} (${f.spec.from} → ${f.spec.to}, ${f.spec.mode})`,
    rows,
    takeoverMs: f.takeoverMs,
    convergedAtMs: convergedAt,
    applies: f.applies.map((a) => a.at),
    spanMs: Math.ceil(span / 500) * 500,
  });
}

function table(summary: AbSummary): string {
  const cols = summaryColumns(summary);
  const head = cols.map((c) => `<th>${esc(c.header)}</th>`).join('');
  const body = summary.rows
    .map(
      (r) =>
        `<tr class="${r.converged ? '' : 'bad'}">${cols.map((c) => `<td>${esc(c.cell(r))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function costCharts(input: HtmlInput): string {
  const { summary, ab } = input;
  const strategies = summary.rows.map((r) => r.strategy);
  const phases = ab.results[0]?.phases.map((p) => p.name) ?? [];
  return [
    barChart({
      title: 'Control messages to agents',
      categories: strategies,
      series: [{ name: 'messages', values: summary.rows.map((r) => r.messages) }],
    }),
    barChart({
      title: 'Bytes of commands (KiB)',
      categories: strategies,
      series: [{ name: 'KiB', values: summary.rows.map((r) => Math.round(r.bytes / 102.4) / 10) }],
    }),
    barChart({
      title: 'DynamoDB requests and capacity units',
      categories: strategies,
      series: [
        { name: 'requests', values: summary.rows.map((r) => r.dynamoRequests) },
        { name: 'RCU', values: summary.rows.map((r) => r.readUnits) },
        { name: 'WCU', values: summary.rows.map((r) => r.writeUnits) },
      ],
    }),
    barChart({
      title: 'Copies of a frame to the router MAC (mean per VM)',
      categories: strategies,
      series: [
        {
          name: 'copies',
          values: summary.rows.map((r) => Math.round((r.failovers[0]?.fanOut.mean ?? 0) * 100) / 100),
        },
      ],
    }),
    barChart({
      title: 'Control messages per phase',
      categories: phases,
      series: ab.results.map((r) => ({ name: r.strategy, values: r.phases.map((p) => p.sqs.messages) })),
      width: 980,
    }),
  ].join('\n');
}

/** The self-contained HTML report: summary table, failover timelines, cost charts. No script, no CDN. */
export function renderHtml(input: HtmlInput): string {
  const { summary, ab } = input;
  const timelines = ab.results
    .flatMap((r) =>
      r.phases.flatMap((p) =>
        p.failover ? [failoverChart(r.strategy, p.name, p.failover, input.agentKinds)] : [],
      ),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>l2pop local A/B: ${esc(input.scenario)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.bad td { background: #fde2e1; }
code { background: #f3f3f3; padding: 0 3px; }
.charts { display: flex; flex-wrap: wrap; }
${SVG_STYLE}
</style></head><body>
<h1>l2pop local A/B: ${esc(input.scenario)}</h1>
<p>Run <code>${esc(summary.runId)}</code>, ${esc(summary.startedAt)}, ${(summary.totalMs / 1000).toFixed(1)} s in all.
Reproduce with <code>${esc(input.command)}</code>. Every agent converged to the desired state: <b>${summary.converged ? 'yes' : 'NO'}</b>.</p>
${table(summary)}
<h2>Failover timelines</h2>
<p>Each VM pings its gateway every 10 ms through the simulated data plane. Red: from the failure to the
first reply (to the edge: none within the window). Grey: no path to the router even before the failure.
Dashed lines: VRRP moved the VIP, and the last agent applied the controller's commands; ticks: agent applies.</p>
<div class="charts">${timelines}</div>
<h2>Costs</h2>
<div class="charts">${costCharts(input)}</div>
</body></html>
`;
}
