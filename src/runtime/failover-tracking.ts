import type { CommandPublisher, FailoverConvergence, OutboxRecord } from '../app/ports.js';

/**
 * A publisher that opens the failover an `ha.state` outbox record starts before sending it
 * (`FailoverConvergence.open`), so the affected agents' `agent.applied` reports can close it
 * (docs/operations.md, "Failover convergence"). Other records go straight through, at no cost.
 * `onSuperseded` hears of a failover of the same network that was still waiting for some agent.
 */
export function trackFailovers<P extends CommandPublisher>(
  publisher: P,
  failovers: FailoverConvergence,
  onSuperseded: (record: OutboxRecord) => void,
): CommandPublisher {
  return {
    async publish(record: OutboxRecord): Promise<void> {
      if (record.origin?.eventType === 'ha.state') {
        const { superseded } = await failovers.open(record);
        if (superseded) onSuperseded(record);
      }
      await publisher.publish(record);
    },
  };
}
