/** One cell of `vip-failover.json` (medians over a scenario's rounds), as the test writes it. */
export interface VipCell {
  readonly scenario: string;
  readonly failure: string;
  readonly vip: string;
  readonly family: number;
  readonly observer: string;
  readonly expected: string;
  readonly rounds: number;
  readonly recovered: number;
  readonly median_outage_ms: number | null;
  readonly median_vrrp_ms: number | null;
  readonly median_overhead_ms: number | null;
  readonly max_overhead_ms: number | null;
  readonly median_claim_ms: number | null;
  readonly median_received_ms: number | null;
  readonly median_applied_ms: number | null;
  readonly goal_ms?: number | null | undefined;
  readonly goal_met: boolean | null;
}

const ms = (n: number | null | undefined) => (n === null || n === undefined ? '—' : String(n));

/**
 * The Markdown table docs/vip.md quotes: one row per cell, milliseconds from the failure except
 * the overhead (outage − VRRP). "received"/"applied" are the observer's agent taking and applying
 * the first command after the claim: the controller's part of the path.
 */
export function renderVipTable(cells: readonly VipCell[]): string {
  const head = [
    '| scenario | failure | VIP | observer | expected | recovered | outage | VRRP | overhead (max) | goal | claim sent | command received | applied |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const rows = cells.map((c) =>
    [
      c.scenario,
      c.failure,
      `${c.vip} IPv${c.family}`,
      c.observer,
      c.expected,
      `${c.recovered}/${c.rounds}`,
      ms(c.median_outage_ms),
      ms(c.median_vrrp_ms),
      `${ms(c.median_overhead_ms)} (${ms(c.max_overhead_ms)})`,
      c.goal_ms === null || c.goal_ms === undefined ? '—' : `${c.goal_ms}: ${c.goal_met ? 'met' : 'missed'}`,
      ms(c.median_claim_ms),
      ms(c.median_received_ms),
      ms(c.median_applied_ms),
    ].join(' | '),
  );
  return `${[...head, ...rows.map((r) => `| ${r} |`)].join('\n')}\n`;
}
