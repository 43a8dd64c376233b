/** Inline SVG charts for the self-contained HTML report (no script, no external resource). */

import { seconds } from '../sim/ab-summary.js';

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = ['#3566a8', '#d9822b', '#3f9a5b', '#8e5bb5', '#b8433f'];
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `span` into at most `maxTicks` parts. */
export function niceStep(span: number, maxTicks: number): number {
  const raw = Math.max(span, Number.MIN_VALUE) / Math.max(1, maxTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((x) => x >= raw);
  return step ?? 10 * power;
}

/** Round ticks from 0 to the first multiple of the step at or above `max`. */
export function niceTicks(max: number, maxTicks: number): number[] {
  const step = niceStep(max, maxTicks);
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** `1500` -> `1.5 s`, with as many decimals as the step needs. */
function tickSeconds(ms: number, stepMs: number): string {
  const decimals = stepMs >= 1000 ? 0 : stepMs >= 100 ? 1 : 2;
  return `${(ms / 1000).toFixed(decimals)} s`;
}

export interface BarSeries {
  readonly name: string;
  readonly values: readonly number[];
}

/** Grouped vertical bars: one group per category, one bar per series, values printed on top. */
export function barChart(o: {
  title: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  unit?: string;
  width?: number;
}): string {
  const width = o.width ?? 520;
  const height = 240;
  const pad = { left: 56, right: 12, top: o.series.length > 1 ? 44 : 28, bottom: 48 };
  const yTicks = niceTicks(Math.max(1, ...o.series.flatMap((s) => s.values)), 5);
  const max = yTicks[yTicks.length - 1] ?? 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const groupW = plotW / Math.max(1, o.categories.length);
  const barW = Math.max(4, (groupW * 0.8) / Math.max(1, o.series.length));
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const bars = o.categories.flatMap((c, i) =>
    o.series.map((s, j) => {
      const v = s.values[i] ?? 0;
      const x = pad.left + i * groupW + groupW * 0.1 + j * barW;
      const color = COLORS[j % COLORS.length];
      return (
        `<rect class="bar" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" ` +
        `height="${Math.max(1, pad.top + plotH - y(v)).toFixed(1)}" fill="${color}"><title>${esc(`${c} · ${s.name}: ${fmt(v)}${o.unit ?? ''}`)}</title></rect>` +
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" class="val">${esc(fmt(v))}</text>`
      );
    }),
  );
  // long category names (phases) are tilted so neighbours do not overlap
  const tilt = o.categories.some((c) => c.length * 6 > groupW);
  const labels = o.categories.map((c, i) => {
    const cx = (pad.left + (i + 0.5) * groupW).toFixed(1);
    const cy = height - pad.bottom + 14;
    return tilt
      ? `<text x="${cx}" y="${cy}" class="cat tilt" transform="rotate(-18 ${cx} ${cy})">${esc(c)}</text>`
      : `<text x="${cx}" y="${cy}" class="cat">${esc(c)}</text>`;
  });
  const legend = o.series
    .map((sr, k) => {
      const lx = width - pad.right - (o.series.length - k) * 110;
      return (
        `<rect x="${lx}" y="22" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/>` +
        `<text x="${lx + 14}" y="31" class="legend">${esc(sr.name)}</text>`
      );
    })
    .join('');
  const yAxis = yTicks
    .map((t) => {
      const ty = y(t).toFixed(1);
      return (
        `<line x1="${pad.left}" y1="${ty}" x2="${width - pad.right}" y2="${ty}" class="grid"/>` +
        `<text x="${pad.left - 6}" y="${(y(t) + 3.5).toFixed(1)}" class="ytick">${esc(fmt(t))}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart bars" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(o.title)}</title><text x="${pad.left}" y="16" class="title">${esc(o.title)}</text>${yAxis}` +
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}" class="axis y"/>` +
    `<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}" class="axis"/>` +
    `${bars.join('')}${labels.join('')}${o.series.length > 1 ? legend : ''}</svg>`
  );
}

export interface TimelineRow {
  readonly label: string;
  /** Shown as the row's tooltip (what kind of agent, which view). */
  readonly detail?: string;
  /** ms after the failure of the first reply; null: never within the window. */
  readonly firstReplyMs: number | null;
  /** No path to the router even before the failure. */
  readonly noPath: boolean;
}

/** An agent that applied the controller's commands after the failure, at these ms. */
export interface ApplyLane {
  readonly host: string;
  readonly at: readonly number[];
}

/**
 * One failover: a row per VM, red from the failure to its first reply (to the edge, labelled
 * "never", if none came), grey when it had no path at all; then a lane per agent that applied
 * commands, a tick at each apply and the last one's time; dashed lines at the VRRP takeover and
 * at the controller's last apply. The time axis runs to a round tick past `minSpanMs`.
 */
export function timelineChart(o: {
  title: string;
  rows: readonly TimelineRow[];
  lanes: readonly ApplyLane[];
  takeoverMs: number;
  convergedAtMs: number | null;
  minSpanMs: number;
}): string {
  const width = 460;
  const rowH = 17;
  const pad = { left: 150, right: 52, top: 46, bottom: 30 };
  const ticks = niceTicks(o.minSpanMs, 6);
  const spanMs = ticks[ticks.length - 1] ?? o.minSpanMs;
  const stepMs = (ticks[1] ?? spanMs) - (ticks[0] ?? 0);
  const lines = o.rows.length + o.lanes.length;
  const height = pad.top + pad.bottom + rowH * Math.max(1, lines);
  const plotW = width - pad.left - pad.right;
  const x = (ms: number) => pad.left + (Math.min(Math.max(ms, 0), spanMs) / spanMs) * plotW;
  const label = (top: number, text: string, cls = 'row') =>
    `<text x="${pad.left - 6}" y="${top + 12}" class="${cls}">${esc(text)}</text>`;
  const note = (top: number, text: string) =>
    `<text x="${width - pad.right + 4}" y="${top + 12}" class="note">${esc(text)}</text>`;
  const rows = o.rows.map((r, i) => {
    const top = pad.top + i * rowH;
    const tip = `<title>${esc(`${r.label}${r.detail ? ` (${r.detail})` : ''}`)}</title>`;
    if (r.noPath)
      return `<g>${tip}${label(top, r.label)}<rect class="nopath" x="${pad.left}" y="${top + 3}" width="${plotW}" height="${rowH - 6}"/>${note(top, 'no path')}</g>`;
    const end = r.firstReplyMs ?? spanMs;
    const text = r.firstReplyMs === null ? 'never' : seconds(r.firstReplyMs);
    return `<g>${tip}${label(top, r.label)}<rect class="hole" x="${pad.left}" y="${top + 3}" width="${Math.max(1, x(end) - pad.left).toFixed(1)}" height="${rowH - 6}"/>${note(top, text)}</g>`;
  });
  const lanes = o.lanes.map((l, i) => {
    const top = pad.top + (o.rows.length + i) * rowH;
    const marks = l.at
      .map(
        (a) =>
          `<line x1="${x(a).toFixed(1)}" y1="${top + 3}" x2="${x(a).toFixed(1)}" y2="${top + rowH - 3}" class="apply"/>`,
      )
      .join('');
    const last = Math.max(...l.at);
    return `<g><title>${esc(`${l.host} applied at ${l.at.map((a) => seconds(a)).join(', ')}`)}</title>${label(top, `${l.host} applies`, 'row lane')}${marks}${note(top, seconds(last))}</g>`;
  });
  const marker = (ms: number, cls: string, text: string, line: number) =>
    `<line x1="${x(ms).toFixed(1)}" y1="${pad.top - 6 - line * 11}" x2="${x(ms).toFixed(1)}" y2="${height - pad.bottom}" class="${cls}"/>` +
    `<text x="${(x(ms) + 3).toFixed(1)}" y="${pad.top - 8 - line * 11}" class="mlabel">${esc(text)}</text>`;
  const axis = ticks
    .map((t) => {
      const tx = x(t).toFixed(1);
      return (
        `<line x1="${tx}" y1="${pad.top}" x2="${tx}" y2="${height - pad.bottom}" class="grid"/>` +
        `<text x="${tx}" y="${height - pad.bottom + 14}" class="cat xtick">${tickSeconds(t, stepMs)}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart timeline" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(o.title)}</title><text x="4" y="14" class="title">${esc(o.title)}</text>${axis}` +
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" class="axis"/>` +
    `${rows.join('')}${lanes.join('')}${marker(o.takeoverMs, 'vrrp', `VRRP ${seconds(o.takeoverMs)}`, 1)}` +
    `${o.convergedAtMs === null ? '' : marker(o.convergedAtMs, 'ctrl', `controller ${seconds(o.convergedAtMs)}`, 0)}</svg>`
  );
}

export const SVG_STYLE = `
svg.chart { background: #fff; border: 1px solid #ddd; margin: 6px 12px 6px 0; font: 11px system-ui, sans-serif; max-width: 100%; height: auto; }
svg .title { font-weight: 600; font-size: 12px; }
svg .cat { text-anchor: middle; fill: #333; }
svg .cat.tilt { text-anchor: end; }
svg .val { text-anchor: middle; font-size: 10px; fill: #222; }
svg .legend { fill: #333; }
svg .axis { stroke: #999; }
svg .grid { stroke: #eee; }
svg .ytick { text-anchor: end; fill: #555; font-size: 10px; }
svg .xtick { font-size: 10px; }
svg .lane { fill: #3f7a4f; }
svg .apply { stroke: #3f9a5b; stroke-width: 2; }
svg .row { text-anchor: end; fill: #333; font-size: 10px; }
svg .note { fill: #333; }
svg .hole { fill: #d9534f; }
svg .nopath { fill: #bbb; }
svg .vrrp { stroke: #3566a8; stroke-dasharray: 4 3; }
svg .ctrl { stroke: #3f9a5b; stroke-dasharray: 4 3; }
svg .mlabel { font-size: 10px; fill: #555; }
`;
