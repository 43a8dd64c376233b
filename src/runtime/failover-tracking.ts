import type { CommandPublisher, FailoverConvergence, OutboxRecord } from '../app/ports.js';

/**
 * A publisher that opens the failover an `ha.state` outbox record starts
 * (`FailoverConvergence.open`) while sending it, so the affected agents' `agent.applied` reports
 * can close it (docs/operations.md, "Failover convergence"). Other records go straight through, at
 * no cost.
 *
 * The open runs beside the publication, not before it: it is one conditional UpdateItem (~15 ms
 * on DynamoDB Local, docs/dataplane.md §4.4), and it used to be a 4th sequential round before any
 * agent got its command. Its only reader is the `agent.applied` report, which an agent sends
 * `appliedReportMs` after its apply at the earliest (1 s by default, at most one a second by
 * contract: agent/run-agent.ts), and which then crosses the agent-events queue and its function:
 *
 *   handler:  publish ──► (SendMessageBatch per agent) ─┐
 *             open ─────► (UpdateItem, ~15 ms) ─────────┼─ both settled: the handler goes on
 *   agent:               receive, apply ── ≥ 1 s ──► agent.applied ──► SQS ──► agent-events
 *
 * A failed open fails the publication as before (the outbox keeps the record; the retry opens
 * and re-sends it, deduplicated). The handler waits for both, so no request is left in flight.
 * `onSuperseded` hears of a failover of the same network that was still waiting for some agent.
 */
export function trackFailovers<P extends CommandPublisher>(
  publisher: P,
  failovers: FailoverConvergence,
  onSuperseded: (record: OutboxRecord) => void,
): CommandPublisher {
  return {
    async publish(record: OutboxRecord): Promise<void> {
      if (record.origin?.eventType !== 'ha.state') return publisher.publish(record);
      const [opened, published] = await Promise.allSettled([
        failovers.open(record),
        publisher.publish(record),
      ]);
      if (published.status === 'rejected') throw published.reason;
      if (opened.status === 'rejected') throw opened.reason;
      if (opened.value.superseded) onSuperseded(record);
    },
  };
}
