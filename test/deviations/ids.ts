/**
 * The deliberate deviations from Neutron 21, by the ids of `docs/deviations.md`. The slug is the
 * name the differential campaign gives the same deviation (`test/neutron/deviations.ts`) where it
 * accounts for it; the others never show in its end-state comparison.
 */
export const DEVIATIONS = {
  D1: 'tunnel-ip-change',
  D2: 'chg-ip-inactive-port',
  D3: 'full-sync-unfiltered-types',
  D4: 'ha-backup-before-master',
  D5: 'ha-status-kept-on-rebind',
  D6: 'ha-removal-skipped',
  D7: 'flood-only-by-full-sync',
  D8: 'first-port-heuristic',
  D9: 'addressed-messages',
  D10: 'ha-interface-down',
  D11: 'mac-normalised',
  D12: 'device-names',
  D13: 'no-l3-agent-liveness',
  D15: 'vip-master-binding',
  D16: 'vip-auto',
  D17: 'ha-standby-present',
  D18: 'aap-overlap-use-refused',
} as const;

export type DeviationId = keyof typeof DEVIATIONS;
export type DeviationSlug = (typeof DEVIATIONS)[DeviationId];

/** `D7 flood-only-by-full-sync`: how tests name a deviation. */
export function deviationLabel(id: DeviationId): string {
  return `${id} ${DEVIATIONS[id]}`;
}
