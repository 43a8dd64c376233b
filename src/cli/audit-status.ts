import type { HostAuditRecord } from '../app/audit-ports.js';
import type { AuditResult } from '../core/audit-decision.js';

/** One network's last drift audit, as `l2pop status` shows it. */
export interface NetworkAuditStatus {
  readonly result: AuditResult;
  /** The version the agent reported holding. */
  readonly version: number;
  /** Age in ms of the controller's comparison. */
  readonly ageMs: number;
  /** Repair snapshots sent since the last match. */
  readonly repairs: number;
}

/** An agent's last drift audit (docs/drift-audit.md): the worst result over its networks, and the newest age. */
export interface AgentAuditStatus {
  readonly result: AuditResult;
  readonly ageMs: number;
  readonly networks: Readonly<Record<string, NetworkAuditStatus>>;
}

/**
 * Worst first: what an operator must look at before the rest. `repair-failing` has an alarm;
 * `drift` is being repaired; `repairing` waits for the audit after a repair; `lagging` and
 * `unverifiable` compare nothing yet; `not-member` is a leave in flight.
 */
const SEVERITY: readonly AuditResult[] = [
  'repair-failing',
  'drift',
  'repairing',
  'lagging',
  'unverifiable',
  'not-member',
  'match',
];

/**
 * The agent's audit status from the controller's per-host audit record. Null when it has none
 * for the boot the agent runs now (it never audited, or only in an earlier boot), or when
 * `networks` filters every audited network out.
 */
export function summarizeAudit(
  record: HostAuditRecord | undefined,
  bootId: string | null,
  now: number,
  networks?: ReadonlySet<string> | null,
): AgentAuditStatus | null {
  if (!record || record.bootId !== bootId) return null;
  const out: Record<string, NetworkAuditStatus> = {};
  for (const [networkId, r] of Object.entries(record.networks)) {
    if (networks && !networks.has(networkId)) continue;
    out[networkId] = {
      result: r.result,
      version: r.version,
      ageMs: Math.max(0, now - r.at),
      repairs: r.repairs,
    };
  }
  const all = Object.values(out);
  if (all.length === 0) return null;
  const result = SEVERITY.find((s) => all.some((n) => n.result === s)) ?? 'match';
  return { result, ageMs: Math.min(...all.map((n) => n.ageMs)), networks: out };
}
