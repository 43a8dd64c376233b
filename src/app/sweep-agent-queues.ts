import type { AgentQueueList, AgentSeen } from './ports.js';

export interface AgentQueueSweepDeps {
  readonly queues: AgentQueueList;
  readonly seen: AgentSeen;
}

export interface AgentQueueSweepResult {
  /** Agent queues listed (the stack's prefix). */
  readonly queues: number;
  /** Hosts whose queue was deleted: not heard from for the gone-after time. */
  readonly removed: readonly string[];
  /** Queues without an `l2pop:host` tag, left alone. */
  readonly untagged: number;
}

/**
 * Deletes the command queue of every agent gone for `goneAfterMs`: no agent event (report, resync
 * or applied) since `now - goneAfterMs`. A queue whose host has no last-seen time yet (created
 * before last-seen was recorded) starts its clock now instead. A host that comes back gets a new
 * queue on its next report (or the next command for it) and a snapshot, as on its first report.
 * Cost per run: one ListQueues page per 1000 queues, and per queue one ListQueueTags and one GetItem.
 */
export async function sweepAgentQueues(
  deps: AgentQueueSweepDeps,
  now: number,
  goneAfterMs: number,
): Promise<AgentQueueSweepResult> {
  let queues = 0;
  let untagged = 0;
  const removed: string[] = [];
  for await (const queue of deps.queues.list()) {
    queues++;
    if (queue.host === undefined) {
      untagged++;
      continue;
    }
    const seenAt = await deps.seen.lastSeen(queue.host);
    if (seenAt === undefined) {
      await deps.seen.startClock(queue.host, now);
      continue;
    }
    if (now - seenAt < goneAfterMs) continue;
    await deps.queues.remove(queue);
    removed.push(queue.host);
  }
  return { queues, removed, untagged };
}
