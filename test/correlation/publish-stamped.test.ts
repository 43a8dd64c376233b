import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import { EMPTY_COMMIT, runWithRetry } from '../../src/app/reconcile.js';
import { publishStamped, stampCorrelation, withEventContext } from '../../src/runtime/correlation.js';
import { aState, NETWORK } from '../support/fact-fixtures.js';

/**
 * A use-case publishes the outbox record it committed without reading it back, so the record the
 * agents get must carry the correlation id and origin the store stamped at commit, as the stored
 * copy does (a later flush, by another event or the sweeper, sends the stored one).
 */
describe('publishStamped', () => {
  it('sends the record as the commit stamped it, and the store keeps the same', async () => {
    const inner = createMemoryStore();
    const sent: OutboxRecord[] = [];
    const deps = {
      store: stampCorrelation(inner),
      publisher: publishStamped({ publish: async (r: OutboxRecord) => void sent.push(r) }),
    };
    const state = aState({ network: NETWORK, seq: 0 });
    const record: OutboxRecord = { networkId: NETWORK.id, version: 1, key: '000000000001', commands: [] };
    let stored: OutboxRecord[] = [];
    const keep = deps.store.deleteOutbox;
    deps.store.deleteOutbox = async (id, key) => {
      stored = await inner.listOutbox(id);
      return keep(id, key);
    };
    await withEventContext({ correlationId: 'c-42', sentAt: 1000, eventType: 'port.upsert' }, () =>
      runWithRetry(deps, async () => ({
        commit: { ...EMPTY_COMMIT, networks: [{ value: { ...state, version: 1, seq: 1 }, expected: null }] },
        planned: [
          { state, outbox: record, plan: { index: state.index, deltas: new Map(), snapshots: [], left: [] } },
        ],
        result: { outcome: 'applied', splitBrain: [], strategies: {} },
      })),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.correlationId).toBe('c-42');
    expect(sent[0]?.origin).toEqual({ at: 1000, eventType: 'port.upsert', strategy: 'none' });
    expect(stored).toEqual(sent);
  });
});
