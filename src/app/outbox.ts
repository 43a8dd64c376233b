import type { CommandPublisher, FactStore, OutboxRecord } from './ports.js';

/**
 * Publishes every pending outbox record of a network, oldest version first, then deletes it.
 * Called after each commit and before any work on a network, so a crash between commit and
 * publish (crash point C2) or halfway through a fan-out (C3) is repaired by the next delivery.
 * Re-sending is safe: agents ignore versions they already hold (docs/crash-safety.md).
 */
export async function flushOutbox(
  store: FactStore,
  publisher: CommandPublisher,
  networkId: string,
): Promise<number> {
  const pending = (await store.listOutbox(networkId)).sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  for (const record of pending) {
    await publisher.publish(record);
    await store.deleteOutbox(networkId, record.key);
  }
  return pending.length;
}

/**
 * Publishes the records a commit just wrote, oldest key first per network, and deletes each. No
 * read: whatever was pending before was flushed when the network state was read (`runWithRetry`),
 * and the commit's guard on that state proves nothing was committed in between.
 */
export async function publishAll(
  store: FactStore,
  publisher: CommandPublisher,
  records: readonly OutboxRecord[],
): Promise<void> {
  const ordered = [...records].sort((a, b) =>
    a.networkId !== b.networkId
      ? a.networkId < b.networkId
        ? -1
        : 1
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0,
  );
  for (const record of ordered) {
    await publisher.publish(record);
    await store.deleteOutbox(record.networkId, record.key);
  }
}

/** Outbox keys sort by version; a resync snapshot sorts after the delta of the same version. */
export function outboxKey(version: number, suffix = ''): string {
  return `${String(version).padStart(12, '0')}${suffix}`;
}
