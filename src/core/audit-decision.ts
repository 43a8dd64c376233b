import { DIGEST_KINDS, digestsEqual, type ViewDigest } from './digest.js';

/**
 * What one audit of one (host, network) concluded (docs/drift-audit.md, "Controller comparison
 * and repair"):
 * - `match`: the reported digest equals the desired one;
 * - `drift`: it does not, and no view has changed since the agent's version (or it lagged too
 *   long): a repair snapshot is sent;
 * - `lagging`: it does not, and some view changed after the agent's version (`changedAt`):
 *   commands may be in flight, so nothing is done until the same version has lagged `lagAudits`
 *   audits;
 * - `repairing`: it does not, but the agent read its data plane before the last repair was sent;
 * - `repair-failing`: `maxRepairs` repairs in a row did not make it match: alarm, no more repairs
 *   until it matches again;
 * - `unverifiable`: no comparable desired digest (sums not kept since the network's start, or a
 *   version ahead of the controller's);
 * - `not-member`: the controller does not count the host in the network, yet the agent holds
 *   entries for it (a `leave` in flight); an agent that holds nothing there matches.
 */
export const AUDIT_RESULTS = [
  'match',
  'drift',
  'lagging',
  'repairing',
  'repair-failing',
  'unverifiable',
  'not-member',
] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** The last audit of one (host, network), as kept for the next one and for operators. */
export interface AuditPairRecord {
  readonly result: AuditResult;
  /** The version the agent reported. */
  readonly version: number;
  /** When the agent read its data plane (agent's clock, ms). */
  readonly readAt: number;
  /** When the controller compared it (ms). */
  readonly at: number;
  /** The lagging version and how many audits in a row reported it mismatching. */
  readonly lagVersion?: number;
  readonly lagCount: number;
  /** Repair snapshots sent since the last match. */
  readonly repairs: number;
  /** When the last repair was sent (controller's clock, ms). */
  readonly repairedAt?: number;
}

export interface AuditLimits {
  /** Audits in a row one lagging version may mismatch before it counts as drift. */
  readonly lagAudits: number;
  /** Repairs in a row without a match before the pair is left alone and alarmed on. */
  readonly maxRepairs: number;
}

export const DEFAULT_AUDIT_LIMITS: AuditLimits = { lagAudits: 3, maxRepairs: 3 };

export interface AuditInput {
  readonly reported: ViewDigest;
  readonly version: number;
  readonly readAt: number;
  readonly now: number;
  /** The desired digest from the sums; null: the host is not a member. */
  readonly desired: ViewDigest | null;
  /** The version the sums were last written at; null: the sums are not comparable. */
  readonly networkVersion: number | null;
  /** The version of the last commit that may have changed some agent's view (`cv`). */
  readonly changedAt: number;
}

export interface AuditDecision {
  readonly record: AuditPairRecord;
  readonly repair: boolean;
  /** The pair's repairs keep failing: `DriftRepairFailing`. */
  readonly failing: boolean;
}

/**
 * Decides one audit of one (host, network) from the previous one. Null: a duplicate or an audit
 * read before the last one recorded (SQS redelivery, reordering): it changes nothing.
 */
export function decideAudit(
  prev: AuditPairRecord | undefined,
  input: AuditInput,
  limits: AuditLimits = DEFAULT_AUDIT_LIMITS,
): AuditDecision | null {
  if (prev && input.readAt <= prev.readAt) return null;
  const base = { version: input.version, readAt: input.readAt, at: input.now };
  const keep = {
    lagCount: 0,
    repairs: prev?.repairs ?? 0,
    ...(prev?.repairedAt !== undefined ? { repairedAt: prev.repairedAt } : {}),
  };
  const none = (result: AuditResult, extra: Partial<AuditPairRecord> = {}): AuditDecision => ({
    record: { ...base, result, ...keep, ...extra },
    repair: false,
    failing: false,
  });
  if (input.networkVersion === null || input.version > input.networkVersion) return none('unverifiable');
  if (input.desired === null)
    return DIGEST_KINDS.every((k) => input.reported.counts[k] === 0)
      ? { record: { ...base, result: 'match', lagCount: 0, repairs: 0 }, repair: false, failing: false }
      : none('not-member');
  if (digestsEqual(input.desired, input.reported))
    return { record: { ...base, result: 'match', lagCount: 0, repairs: 0 }, repair: false, failing: false };
  if (prev?.repairedAt !== undefined && input.readAt < prev.repairedAt) return none('repairing');
  if (input.version < input.changedAt) {
    const lagCount = (prev?.lagVersion === input.version ? prev.lagCount : 0) + 1;
    if (lagCount < limits.lagAudits) return none('lagging', { lagVersion: input.version, lagCount });
  }
  if (keep.repairs >= limits.maxRepairs)
    return { record: { ...base, result: 'repair-failing', ...keep }, repair: false, failing: true };
  return {
    record: { ...base, result: 'drift', lagCount: 0, repairs: keep.repairs + 1, repairedAt: input.now },
    repair: true,
    failing: false,
  };
}
