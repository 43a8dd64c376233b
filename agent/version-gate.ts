/**
 * What the agent holds for one network. Versions are per network and grow by one per committed
 * batch (src/contracts/commands.ts); the agent applies a delta only on top of the exact version it
 * was computed from, so order and duplicates cannot corrupt its state:
 *
 *   held 4, delta 5 base 4  -> apply, hold 5
 *   held 4, delta 4 base 3  -> stale (a duplicate): ignore
 *   held 4, delta 7 base 6  -> gap (5 and 6 missing or reordered): ask for a snapshot
 *   held 4, snapshot 7      -> apply, hold 7        held 4, snapshot 3 -> stale
 *
 * A command applied minus the entries the agent refused (`RefusedEntry`) is applied: its version
 * is held and the network stays clean, since a snapshot would carry the same facts. Only a
 * command refused whole, or a kernel failure, makes the network dirty (a snapshot repairs it).
 */
export interface HeldNetwork {
  readonly version: number;
  /** The segment of its device; null after a `leave` that came before anything else. */
  readonly vni: number | null;
  /** The agent dropped the network at `version` (a tombstone, so late deltas stay stale). */
  readonly left: boolean;
  /** A kernel operation failed part-way: the device may hold anything until the next snapshot. */
  readonly dirty: boolean;
}

export type GateDecision = 'apply' | 'stale' | 'gap';

/**
 * A network the agent never held is at version 0, so the first delta a controller sends a
 * brand-new member (base 0) applies; any other base is a gap.
 */
export function decideDelta(held: HeldNetwork | undefined, version: number, base: number): GateDecision {
  const current = held?.version ?? 0;
  if (version <= current) return 'stale';
  if (held?.dirty) return 'gap';
  return base === current ? 'apply' : 'gap';
}

/** A snapshot replaces everything, so any newer one applies; a dirty network also takes its own version again. */
export function decideSnapshot(held: HeldNetwork | undefined, version: number): GateDecision {
  const current = held?.version ?? 0;
  if (version > current || (held?.dirty === true && version === current)) return 'apply';
  return 'stale';
}

export function decideLeave(held: HeldNetwork | undefined, version: number): GateDecision {
  return version > (held?.version ?? 0) ? 'apply' : 'stale';
}
