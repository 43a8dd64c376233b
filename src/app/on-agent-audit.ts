import type { AgentAuditEvent } from '../contracts/events.js';
import type { EventResult } from './reconcile.js';

const UNCHANGED: EventResult = { outcome: 'unchanged', networks: [], splitBrain: [], strategies: {} };

/**
 * `agent.audit`: acknowledged without effect for now. The contract is parsed and validated like
 * every other agent event, so agents can already send it; comparing its digests with the desired
 * ones and repairing a drifting agent waits for the engine's new per-host records (issue 15).
 * TODO(issue 17): compare each network's digest with `computeDesiredDigest` at the reported
 * version, send that host a snapshot on a mismatch, count and alarm on repeated repairs.
 */
export async function onAgentAudit(_event: AgentAuditEvent): Promise<EventResult> {
  return UNCHANGED;
}
