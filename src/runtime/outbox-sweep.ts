import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type SweepResult, sweepOutboxes } from '../app/sweep-outboxes.js';
import { emitMetrics } from './observe.js';
import type { Runtime } from './runtime.js';

/** Some networks kept their pending outbox: transient (the next tick, or Lambda's retry, tries again). */
export class OutboxSweepError extends Error {
  override readonly name = 'OutboxSweepError';
  constructor(readonly failed: readonly string[]) {
    super(`outbox sweep: ${failed.length} networks still pending (${failed.slice(0, 5).join(', ')})`);
  }
}

/**
 * One tick of the outbox sweeper: publish outbox records older than `L2POP_SWEEP_MIN_AGE_SECONDS`.
 * Logs one line and publishes `OutboxNetworksSwept`, `OutboxRecordsPublished`,
 * `OutboxSweepFailures` and `OldestOutboxAgeSeconds` (the age of the oldest record pending at the
 * tick, 0 when none; strategy `none`: a sweep concerns no HA router in particular).
 */
export async function runOutboxSweep(rt: Runtime): Promise<SweepResult> {
  const now = Date.now();
  const before = new Date(now - rt.config.sweepMinAgeSeconds * 1000).toISOString();
  // Each record it publishes is logged with the correlation id of the event that committed it.
  const publisher = {
    async publish(record: Parameters<Runtime['publisher']['publish']>[0]) {
      // deps.publisher: an ha.state record opens its failover as it is sent (src/runtime/failover-tracking.ts).
      await rt.deps.publisher.publish(record);
      rt.logger.info('outbox sweep: published', {
        networkId: record.networkId,
        version: record.version,
        commands: record.commands.length,
        correlationId: record.correlationId,
        strategy: 'none',
      });
    },
  };
  const result = await sweepOutboxes({ store: rt.deps.store, publisher, pending: rt.pending }, before, now);
  for (const f of result.failed)
    rt.logger.error('outbox sweep: publishing failed, the record stays pending', {
      networkId: f.networkId,
      error: (f.error as Error)?.message,
      strategy: 'none',
    });
  rt.logger.info('outbox sweep', {
    before,
    networks: result.networks,
    oldestAgeSeconds: result.oldestAgeSeconds,
    published: result.published,
    failed: result.failed.length,
    strategy: 'none',
  });
  emitMetrics(
    rt.eventMetrics,
    { strategy: 'none' },
    {
      OutboxNetworksSwept: result.networks,
      OutboxRecordsPublished: result.published,
      OutboxSweepFailures: result.failed.length,
    },
  );
  emitMetrics(
    rt.eventMetrics,
    { strategy: 'none' },
    { OldestOutboxAgeSeconds: result.oldestAgeSeconds },
    MetricUnit.Seconds,
  );
  if (result.failed.length > 0) throw new OutboxSweepError(result.failed.map((f) => f.networkId));
  return result;
}
