/** Inline SVG charts for the self-contained HTML report (no script, no external resource). */

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = ['#3566a8', '#d9822b', '#3f9a5b', '#8e5bb5', '#b8433f'];
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

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
  const pad = { left: 48, right: 12, top: o.series.length > 1 ? 44 : 28, bottom: 48 };
  const max = Math.max(1, ...o.series.flatMap((s) => s.values));
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
  return (
    `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(o.title)}</title><text x="${pad.left}" y="16" class="title">${esc(o.title)}</text>` +
    `<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}" class="axis"/>` +
    `${bars.join('')}${labels.join('')}${o.series.length > 1 ? legend : ''}</svg>`
  );
}

export interface TimelineRow {
  readonly label: string;
  /** ms after the failure of the first reply; null: never within the window. */
  readonly firstReplyMs: number | null;
  /** No path to the router even before the failure. */
  readonly noPath: boolean;
}

/**
 * One failover: a row per VM, red from the failure to its first reply (to the edge, labelled
 * "never", if none came), grey when it had no path at all; dashed lines at the VRRP takeover and
 * at the controller's last apply, ticks at each agent apply.
 */
export function timelineChart(o: {
  title: string;
  rows: readonly TimelineRow[];
  takeoverMs: number;
  convergedAtMs: number | null;
  applies: readonly number[];
  spanMs: number;
}): string {
  const width = 700;
  const rowH = 18;
  const pad = { left: 250, right: 60, top: 44, bottom: 30 };
  const height = pad.top + pad.bottom + rowH * Math.max(1, o.rows.length);
  const plotW = width - pad.left - pad.right;
  const x = (ms: number) => pad.left + (Math.min(ms, o.spanMs) / o.spanMs) * plotW;
  const rows = o.rows.map((r, i) => {
    const top = pad.top + i * rowH;
    const label = `<text x="${pad.left - 6}" y="${top + 13}" class="row">${esc(r.label)}</text>`;
    if (r.noPath)
      return `${label}<rect class="nopath" x="${pad.left}" y="${top + 3}" width="${plotW}" height="${rowH - 6}"><title>no path to the router before the failure</title></rect><text x="${width - pad.right + 4}" y="${top + 13}" class="note">no path</text>`;
    const end = r.firstReplyMs ?? o.spanMs;
    const text = r.firstReplyMs === null ? 'never' : `${(r.firstReplyMs / 1000).toFixed(2)} s`;
    return `${label}<rect class="hole" x="${pad.left}" y="${top + 3}" width="${Math.max(1, x(end) - pad.left).toFixed(1)}" height="${rowH - 6}"><title>${esc(`${r.label}: ${text}`)}</title></rect><text x="${width - pad.right + 4}" y="${top + 13}" class="note">${text}</text>`;
  });
  const marker = (ms: number, cls: string, label: string, line: number) =>
    `<line x1="${x(ms).toFixed(1)}" y1="${pad.top - 6}" x2="${x(ms).toFixed(1)}" y2="${height - pad.bottom}" class="${cls}"/>` +
    `<text x="${x(ms).toFixed(1)}" y="${pad.top - 8 - line * 11}" class="mlabel">${esc(label)}</text>`;
  const ticks = o.applies
    .filter((a) => a >= 0 && a <= o.spanMs)
    .map(
      (a) =>
        `<line x1="${x(a).toFixed(1)}" y1="${height - pad.bottom}" x2="${x(a).toFixed(1)}" y2="${height - pad.bottom + 6}" class="tick"/>`,
    );
  const scale = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${(pad.left + f * plotW).toFixed(1)}" y="${height - 6}" class="cat">${((f * o.spanMs) / 1000).toFixed(1)} s</text>`,
  );
  return (
    `<svg class="chart timeline" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(o.title)}</title><text x="4" y="14" class="title">${esc(o.title)}</text>` +
    `${rows.join('')}${marker(o.takeoverMs, 'vrrp', 'VRRP', 0)}` +
    `${o.convergedAtMs === null ? '' : marker(o.convergedAtMs, 'ctrl', 'controller', 1)}${ticks.join('')}${scale.join('')}</svg>`
  );
}

export const SVG_STYLE = `
svg.chart { background: #fff; border: 1px solid #ddd; margin: 6px 12px 6px 0; font: 11px system-ui, sans-serif; }
svg .title { font-weight: 600; font-size: 12px; }
svg .cat { text-anchor: middle; fill: #333; }
svg .cat.tilt { text-anchor: end; }
svg .val { text-anchor: middle; font-size: 10px; fill: #222; }
svg .legend { fill: #333; }
svg .axis { stroke: #999; }
svg .row { text-anchor: end; fill: #333; }
svg .note { fill: #333; }
svg .hole { fill: #d9534f; }
svg .nopath { fill: #bbb; }
svg .vrrp { stroke: #3566a8; stroke-dasharray: 4 3; }
svg .ctrl { stroke: #3f9a5b; stroke-dasharray: 4 3; }
svg .mlabel { text-anchor: middle; font-size: 10px; fill: #555; }
svg .tick { stroke: #3f9a5b; }
`;
