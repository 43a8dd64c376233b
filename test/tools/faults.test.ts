import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import {
  createFaultInjector,
  FaultConfigError,
  FaultInjectedError,
  faultsFromEnv,
} from '../../tools/local/faults.js';

const batch = (receiveCounts: readonly string[]) =>
  ({
    Records: receiveCounts.map((n) => ({ attributes: { ApproximateReceiveCount: n } })),
  }) as unknown as SQSEvent;

describe('the local stack fault settings (tools/local/faults.ts)', () => {
  it('reads the points and the seed, and is off when no point has a probability', () => {
    expect(
      faultsFromEnv({
        L2POP_FAULTS: 'after-commit=0.5,mid-fanout=1,between-networks=0.25',
        L2POP_FAULT_SEED: '7',
      }),
    ).toEqual({ probabilities: { 'after-commit': 0.5, 'mid-fanout': 1, 'between-networks': 0.25 }, seed: 7 });
    expect(faultsFromEnv({ L2POP_FAULTS: 'after-fanout=0.1' })?.seed).toBe(1);
    expect(faultsFromEnv({})).toBeNull();
    expect(faultsFromEnv({ L2POP_FAULTS: 'after-commit=0' })).toBeNull();
  });

  it('names the bad entry or seed', () => {
    expect(() => faultsFromEnv({ L2POP_FAULTS: 'somewhere=0.5' })).toThrow(FaultConfigError);
    expect(() => faultsFromEnv({ L2POP_FAULTS: 'somewhere=0.5' })).toThrow(/bad entry somewhere=0.5/);
    expect(() => faultsFromEnv({ L2POP_FAULTS: 'after-commit=1.5' })).toThrow(/after-commit=1.5/);
    expect(() => faultsFromEnv({ L2POP_FAULTS: 'after-commit=' })).toThrow(/after-commit=/);
    expect(() => faultsFromEnv({ L2POP_FAULTS: 'after-commit=1', L2POP_FAULT_SEED: '-1' })).toThrow(
      /L2POP_FAULT_SEED=-1/,
    );
  });
});

describe('the fault injector as seams', () => {
  it('kills an armed invocation at the point, and every later record of its batch', async () => {
    const seams = createFaultInjector({ 'mid-fanout': 1 }, 1);
    const seen: string[] = [];
    const run = seams.aroundBatch?.(batch(['1', '1']), async () => {
      seams.beforeRecord?.();
      seen.push('first');
      try {
        seams.afterHost?.();
      } catch {
        // the record handler's own catch: the crash still fails the invocation
      }
      seams.beforeRecord?.();
      seen.push('second');
    });
    const err = await run?.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FaultInjectedError);
    expect((err as FaultInjectedError).point).toBe('mid-fanout');
    expect(seams.raised?.(err)).toBe(true);
    expect(seams.raised?.(new Error('other'))).toBe(false);
    expect(seen).toEqual(['first']);
  });

  it('never arms an invocation with a redelivered record, so a message dies at most once', async () => {
    const seams = createFaultInjector({ 'mid-fanout': 1 }, 1);
    await expect(
      seams.aroundBatch?.(batch(['1', '2']), async () => seams.afterHost?.()),
    ).resolves.toBeUndefined();
  });

  it('wraps the store: after-fanout dies before the outbox record is deleted, outside an invocation never', async () => {
    const seams = createFaultInjector({ 'after-fanout': 1 }, 1);
    const store = createMemoryStore();
    const deleted: string[] = [];
    const wrapped = seams.wrapStore?.({
      ...store,
      deleteOutbox: async (networkId, key) => {
        deleted.push(`${networkId}/${key}`);
      },
    });
    const err = await seams
      .aroundBatch?.(batch(['1']), () => wrapped?.deleteOutbox('n1', 'k1') ?? Promise.resolve())
      .catch((e: unknown) => e);
    expect((err as FaultInjectedError).point).toBe('after-fanout');
    expect(deleted).toEqual([]);
    await wrapped?.deleteOutbox('n1', 'k2');
    expect(deleted).toEqual(['n1/k2']);
  });
});
