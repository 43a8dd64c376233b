export interface Reply {
  /** Epoch milliseconds from `ping -D`. */
  readonly t: number;
  readonly seq: number;
}

export interface OutageMeasurement {
  /** The real probe interval: median gap between replies before the failure (`ping-probe.ts` PROBE_INTERVAL_S: ~5 ms here). */
  readonly intervalMs: number;
  /** Last reply before the traffic stopped. */
  readonly lastBeforeMs: number | null;
  /** First reply of the final, stable recovery; null when traffic never came back. */
  readonly firstAfterMs: number | null;
  /** firstAfter - lastBefore: the whole disruption, flaps included; null when not recovered. */
  readonly outageMs: number | null;
  /** Gaps longer than the threshold after the failure (more than one means it flapped). */
  readonly gaps: number;
  readonly recovered: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[Math.floor(sorted.length / 2)] as number);
}

/**
 * Outage from reply timestamps, not from lost-packet counts x interval (dataplane.md finding 7):
 *
 *   replies ||||||||||          .   .   ||||||||||||||||||||   (tail >= minTailMs: recovered)
 *                    ^ lastBefore  ^ T (failure)  ^ firstAfter
 *
 * A gap is a pause between replies longer than max(5 x interval, 100 ms). The disruption starts at
 * the last reply before the first gap that ends after `failureAt` (a reply can still be in flight
 * at T) and ends at the first reply after the last gap, provided replies then keep coming for
 * `minTailMs` until `observedUntil`. Silence up to `observedUntil` counts as a final gap.
 */
export function measureOutage(
  replies: readonly Reply[],
  failureAt: number,
  observedUntil: number,
  minTailMs = 500,
): OutageMeasurement {
  const sorted = [...replies].sort((a, b) => a.t - b.t);
  const before = sorted.filter((r) => r.t <= failureAt);
  const diffs = before.slice(1).map((r, i) => r.t - (before[i] as Reply).t);
  const intervalMs = median(diffs.slice(-200));
  const threshold = Math.max(5 * intervalMs, 100);
  const points = [...sorted.filter((r) => r.t >= failureAt - 2000).map((r) => r.t), observedUntil];
  const gaps: { from: number; to: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1] as number;
    const to = points[i] as number;
    if (to - from > threshold && to > failureAt) gaps.push({ from, to });
  }
  const first = gaps[0];
  const last = gaps[gaps.length - 1];
  if (!first || !last) {
    return { intervalMs, lastBeforeMs: null, firstAfterMs: null, outageMs: 0, gaps: 0, recovered: true };
  }
  const recovered = last.to !== observedUntil && observedUntil - last.to >= minTailMs;
  return {
    intervalMs,
    lastBeforeMs: first.from,
    firstAfterMs: recovered ? last.to : null,
    outageMs: recovered ? Math.round(last.to - first.from) : null,
    gaps: gaps.length,
    recovered,
  };
}
