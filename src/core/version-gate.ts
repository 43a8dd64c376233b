/**
 * What the agent holds for one network. Versions are per network and grow by one per committed
 * batch (contracts/commands.ts); the agent applies a delta only on top of the exact version it
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
/**
 * What the gate needs of a held network: its version, and whether a kernel operation failed
 * part-way on it (`dirty`: the agent's device may hold anything until the next snapshot). The
 * reference agent (agent/create-agent.ts) and the simulated agents (`applyAgentCommand`,
 * agent-protocol.ts) hold more, and decide with these same functions.
 */
export interface GateState {
  readonly version: number;
  readonly dirty?: boolean;
}

export type GateDecision = 'apply' | 'stale' | 'gap';

/**
 * A network the agent never held is at version 0, so the first delta a controller sends a
 * brand-new member (base 0) applies; any other base is a gap.
 */
export function decideDelta(held: GateState | undefined, version: number, base: number): GateDecision {
  const current = held?.version ?? 0;
  if (version <= current) return 'stale';
  if (held?.dirty) return 'gap';
  return base === current ? 'apply' : 'gap';
}

/** A snapshot replaces everything, so any newer one applies; a dirty network also takes its own version again. */
export function decideSnapshot(held: GateState | undefined, version: number): GateDecision {
  const current = held?.version ?? 0;
  if (version > current || (held?.dirty === true && version === current)) return 'apply';
  return 'stale';
}

export function decideLeave(held: GateState | undefined, version: number): GateDecision {
  return version > (held?.version ?? 0) ? 'apply' : 'stale';
}
