/** The `strategy` dimension: the one strategy involved, `mixed`, or `none` (no HA router involved). */
export function strategyLabel(strategies: Readonly<Record<string, string>>): string {
  const set = new Set(Object.values(strategies));
  if (set.size === 0) return 'none';
  return set.size === 1 ? ([...set][0] as string) : 'mixed';
}
