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
 * others.
 */
export async function sweepOutboxes(deps: SweepDeps, before: string): Promise<SweepResult> {
  const networks = await deps.pending.listPendingOutboxNetworks(before);
  let published = 0;
  const failed: { networkId: string; error: unknown }[] = [];
  for (const networkId of networks) {
    try {
      published += await flushOutbox(deps.store, deps.publisher, networkId);
    } catch (error) {
      failed.push({ networkId, error });
    }
  }
  return { networks: networks.length, published, failed };
}
