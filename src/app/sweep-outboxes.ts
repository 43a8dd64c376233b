import { flushOutbox } from './outbox.js';
import type { CommandPublisher, FactStore, PendingOutboxes } from './ports.js';

export interface SweepDeps {
  readonly store: FactStore;
  readonly publisher: CommandPublisher;
  readonly pending: PendingOutboxes;
}

export interface SweepResult {
  /** Networks that had an outbox record older than the cut-off. */
  readonly networks: number;
  /**
   * Age, in seconds (ms precision) at `now`, of the oldest outbox record pending when the sweep started
   * (any age, not only past the cut-off); 0 when none was pending.
   */
  readonly oldestAgeSeconds: number;
  /** Outbox records published and deleted. */
  readonly published: number;
  /** Networks whose flush failed (left for the next sweep or the next event), with the error. */
  readonly failed: readonly { readonly networkId: string; readonly error: unknown }[];
}

/**
 * The outbox sweeper: publishes every outbox record written before `before` (ISO time) and still
 * pending. A record is pending after its commit only while the invocation that wrote it publishes
 * it, or when that invocation died: the next event on the network flushes it first, and this
 * repairs a network that sees no next event, e.g. after its message went to the DLQ during a long
 * SQS outage (docs/crash-safety.md, "outbox sweeper"). Publishing is what any flush does: oldest
 * version first, per network, then delete; a record published twice is dropped by SQS
 * deduplication or ignored by the agent's version check. One failing network does not stop the
 * others. It also measures the age of the oldest pending record (`OldestOutboxAgeSeconds`).
 */
export async function sweepOutboxes(deps: SweepDeps, before: string, now: number): Promise<SweepResult> {
  const pending = await deps.pending.listPendingOutboxes();
  const oldest = pending.reduce<string | undefined>(
    (o, p) => (o === undefined || p.at < o ? p.at : o),
    undefined,
  );
  const oldestAgeSeconds = oldest === undefined ? 0 : Math.max(0, (now - Date.parse(oldest)) / 1000);
  const networks = pending.filter((p) => p.at < before).map((p) => p.networkId);
  let published = 0;
  const failed: { networkId: string; error: unknown }[] = [];
  for (const networkId of networks) {
    try {
      published += await flushOutbox(deps.store, deps.publisher, networkId);
    } catch (error) {
      failed.push({ networkId, error });
    }
  }
  return { networks: networks.length, oldestAgeSeconds, published, failed };
}
