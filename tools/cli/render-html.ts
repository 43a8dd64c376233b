import type { HaView } from '../../src/core/types.js';
import type { AbResult, StrategyRun } from '../sim/ab-run.js';
import { type AbSummary, formatBlackHole, seconds } from '../sim/ab-summary.js';
import type { FailoverReplay } from '../sim/failover-eval.js';
import { costCharts } from './render-html-costs.js';
import { esc, SVG_STYLE, type TimelineRow, timelineChart } from './render-svg.js';
import { costTable, type Table } from './render-table.js';
import { LEGEND, verdictText } from './render-verdict.js';

export interface HtmlInput {
  readonly summary: AbSummary;
  readonly ab: AbResult;
  readonly scenario: string;
  readonly command: string;
  /** host -> what kind of agent it is ("Open vSwitch, learning, responder"). */
  readonly agentKinds: Readonly<Record<string, string>>;
}

const VIEW_WORD: Record<HaView, string> = { tunnel: 'tunnel', 'master-binding': 'binding' };

function viewOf(f: FailoverReplay, host: string, networkId: string): HaView | undefined {
  return f.autoViews.find((v) => v.host === host && v.networkId === networkId)?.view;
}

function failoverChart(strategy: string, f: FailoverReplay, kinds: HtmlInput['agentKinds']): string {
  const rows: TimelineRow[] = f.live.vms.map((v) => {
    const view = strategy === 'auto' ? viewOf(f, v.host, v.networkId) : undefined;
    const detail = [kinds[v.host], view ? `${view} view` : undefined].filter(Boolean).join('; ');
    return {
      label: `${v.host} · ${v.networkId}${view ? ` · ${VIEW_WORD[view]}` : ''}`,
      ...(detail ? { detail } : {}),
      firstReplyMs: v.firstReplyMs,
      noPath: !v.okBefore,
    };
  });
  const lanes = [...new Set(f.applies.map((a) => a.host))]
    .sort()
    .map((host) => ({ host, at: f.applies.filter((a) => a.host === host).map((a) => a.at) }));
  const convergedAt = f.convergenceMs === null ? null : f.reportAt - f.t0 + f.convergenceMs;
  const replies = f.live.vms.flatMap((v) => (v.firstReplyMs === null ? [] : [v.firstReplyMs]));
  return timelineChart({
    title: strategy,
    rows,
    lanes,
    takeoverMs: f.takeoverMs,
    convergedAtMs: convergedAt,
    minSpanMs: Math.max(2000, f.takeoverMs + 1000, (convergedAt ?? 0) + 500, ...replies.map((r) => r + 300)),
  });
}

export function htmlTable(
  t: Pick<Table, 'header' | 'rows'>,
  bad: (i: number) => boolean = () => false,
): string {
  const head = t.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = t.rows
    .map((r, i) => `<tr${bad(i) ? ' class="bad"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const applyTimes = (f: FailoverReplay | undefined, host: string) => {
  const at = [...new Set((f?.applies ?? []).filter((a) => a.host === host).map((a) => Math.round(a.at)))];
  if (at.length === 0) return '—';
  const s = at.map(seconds);
  return at.length <= 3 ? s.join(', ') : `${s[0]} to ${s[s.length - 1]} (${at.length})`;
};

/** Per agent: its kind, its view under `auto`, and when it applied commands under each strategy. */
function agentTable(
  runs: readonly { strategy: string; f: FailoverReplay | undefined }[],
  kinds: HtmlInput['agentKinds'],
) {
  const auto = runs.find((r) => r.strategy === 'auto')?.f;
  const hosts = [
    ...new Set(
      runs.flatMap((r) => [
        ...(r.f?.live.vms ?? []).map((v) => v.host),
        ...(r.f?.applies ?? []).map((a) => a.host),
      ]),
    ),
  ].sort();
  const autoView = (host: string) => {
    const views = [...new Set(auto?.autoViews.filter((v) => v.host === host).map((v) => v.view))];
    return views.length > 0 ? views.join(' / ') : '(hosts it)';
  };
  return htmlTable({
    header: [
      'agent',
      'kind',
      ...(auto ? ['view under auto'] : []),
      ...runs.map((r) => `${r.strategy}: applied at`),
    ],
    rows: hosts.map((h) => [
      h,
      kinds[h] ?? '',
      ...(auto ? [autoView(h)] : []),
      ...runs.map((r) => applyTimes(r.f, h)),
    ]),
  });
}

/** One section per failover: its figures per strategy, the strategies' timelines side by side, the agents. */
function failoverSection(
  results: readonly StrategyRun[],
  summary: AbSummary,
  i: number,
  kinds: HtmlInput['agentKinds'],
) {
  const runs = results.map((r) => ({
    strategy: r.strategy,
    f: r.phases.flatMap((p) => p.failover ?? p.vipFailover ?? [])[i],
  }));
  const first = summary.rows[0]?.failovers[i];
  if (!first) return '';
  const figures = htmlTable({
    header: ['strategy', 'worst black-hole', 'convergence', 'if the controller is down'],
    rows: summary.rows.map((r) => {
      const f = r.failovers[i];
      if (!f) return [r.strategy, '', '', ''];
      const conv = f.convergenceMs === null ? 'none needed' : seconds(f.convergenceMs);
      return [r.strategy, formatBlackHole(f.live), conv, formatBlackHole(f.controllerDown)];
    }),
  });
  const charts = runs.map((r) => (r.f ? failoverChart(r.strategy, r.f, kinds) : '')).join('\n');
  return `<section class="failover"><h3>${esc(first.phase)}: ${esc(first.target)} ${esc(first.from)} → ${esc(first.to)}, ${esc(first.mode)}, VRRP ${seconds(first.takeoverMs)}</h3>
${figures}<div class="side">${charts}</div>
<details><summary>Agents: kind, view under auto, apply times (after the failure)</summary>${agentTable(runs, kinds)}</details></section>`;
}

function verdictSection(summary: AbSummary): string {
  const v = verdictText(summary);
  const items = v.strategies.map((s) => `<li><b>${esc(s.strategy)}</b>: ${esc(s.text)}</li>`).join('');
  const gaps = v.gaps
    .map(
      (g) =>
        `<li><b>${esc(g.strategy)}</b>, ${esc(g.phase)}: ${esc(g.vms.join(', '))}: ${esc(g.reason)}</li>`,
    )
    .join('');
  return `<section class="verdict ${summary.verdict.pick === null ? 'none' : ''}"><p class="headline">Verdict: ${esc(v.headline)}</p>
${items ? `<ul>${items}</ul>` : ''}${gaps ? `<p>Without a gateway or VIP:</p><ul>${gaps}</ul>` : ''}</section>`;
}

/** The self-contained HTML report: verdict, costs, failovers side by side, charts. No script, no CDN. */
export function renderHtml(input: HtmlInput): string {
  const { summary, ab } = input;
  const failovers = (summary.rows[0]?.failovers ?? [])
    .map((_, i) => failoverSection(ab.results, summary, i, input.agentKinds))
    .join('\n');
  const cost = costTable(summary);
  const legend = LEGEND.map(([t, d]) => `<dt>${esc(t)}</dt><dd>${esc(d)}</dd>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>l2pop local A/B: ${esc(input.scenario)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.bad td { background: #fde2e1; }
code { background: #f3f3f3; padding: 0 3px; overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; }
.side { display: grid; grid-template-columns: repeat(auto-fit, minmax(400px, 1fr)); gap: 8px; }
.side svg.chart { width: 100%; margin: 0; }
.verdict { border: 2px solid #3f9a5b; background: #eef8f0; padding: 4px 16px; margin: 12px 0; }
.verdict.none { border-color: #b8433f; background: #fde2e1; }
.verdict .headline { font-weight: 600; font-size: 16px; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dl.legend dt { font-weight: 600; } dl.legend dd { margin: 0; }
section.failover { border-top: 1px solid #ddd; margin-top: 16px; }
${SVG_STYLE}
</style></head><body>
<h1>l2pop local A/B: ${esc(input.scenario)}</h1>
<p>Run <code>${esc(summary.runId)}</code>, ${esc(summary.startedAt)}, ${(summary.totalMs / 1000).toFixed(1)} s in all.
Reproduce with <code>${esc(input.command)}</code>. Every agent converged to the desired state: <b>${summary.converged ? 'yes' : 'NO'}</b>.</p>
${verdictSection(summary)}
<h2>${esc(cost.title)}</h2>
${htmlTable(cost, (i) => summary.rows[i]?.converged === false)}
<h2>Failovers</h2>
<p>Each VM pings its gateway (in a VIP failover: the VIP) every 10 ms through the simulated data plane. Red: from the failure to the
first reply (to the edge: none within the window). Grey: no path to the router (or VIP) even before the failure.
Green lanes: when each agent applied the controller's commands. Dashed lines: VRRP moved the VIP, and the
last agent applied. Under <code>auto</code>, each VM's row names the view its agent got of the router or VIP
(<i>tunnel</i> or master-<i>binding</i>).</p>
${failovers}
<h2>Legend</h2>
<dl class="legend">${legend}</dl>
<h2>Costs</h2>
<div class="charts">${costCharts(summary, ab)}</div>
</body></html>
`;
}
