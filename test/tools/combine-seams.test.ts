import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import type { FactStore } from '../../src/app/ports.js';
import type { RuntimeSeams } from '../../src/runtime/seams.js';
import { combineSeams } from '../../tools/local/combine-seams.js';
import { meterSeams } from '../../tools/support/dynamo-meter.js';

const EVENT = { Records: [] } as unknown as SQSEvent;

/** A seam that records, under `name`, every hook it is called on. */
function tracing(name: string, calls: string[]): RuntimeSeams {
  return {
    wrapStore: (inner: FactStore): FactStore => ({
      ...inner,
      getFlags: () => {
        calls.push(`${name}.getFlags`);
        return inner.getFlags();
      },
    }),
    afterHost: () => void calls.push(`${name}.afterHost`),
    beforeRecord: () => void calls.push(`${name}.beforeRecord`),
    aroundBatch: async (_event, run) => {
      calls.push(`${name}.before`);
      const value = await run();
      calls.push(`${name}.after`);
      return value;
    },
    raised: (err) => err === name,
  };
}

describe('combineSeams (tools/local/combine-seams.ts): the local stack meters and injects faults together', () => {
  it('nests the wrappers and batches with the first outermost and runs the hooks in order', async () => {
    const calls: string[] = [];
    const seams = combineSeams(tracing('a', calls), tracing('b', calls));
    await seams.wrapStore?.(createMemoryStore()).getFlags();
    seams.beforeRecord?.();
    seams.afterHost?.();
    const result = await seams.aroundBatch?.(EVENT, async () => {
      calls.push('run');
      return 'the batch response';
    });
    expect(result).toBe('the batch response');
    expect(calls).toEqual([
      'a.getFlags',
      'b.getFlags',
      'a.beforeRecord',
      'b.beforeRecord',
      'a.afterHost',
      'b.afterHost',
      'a.before',
      'b.before',
      'run',
      'b.after',
      'a.after',
    ]);
  });

  it('counts an error as raised on purpose when any seam raised it, and keeps the one meter', () => {
    const seams = combineSeams(meterSeams, tracing('a', []), tracing('b', []));
    expect([seams.raised?.('a'), seams.raised?.('b'), seams.raised?.(new Error('real'))]).toEqual([
      true,
      true,
      false,
    ]);
    expect(seams.meterDynamo).toBe(meterSeams.meterDynamo);
  });

  it('adds no hook no seam has, and refuses two meters', () => {
    expect(combineSeams(meterSeams)).toEqual({ meterDynamo: meterSeams.meterDynamo });
    const other: RuntimeSeams = {
      meterDynamo: (_c: DynamoDBClient) => ({ usage: () => ({ requests: {}, readUnits: 0, writeUnits: 0 }) }),
    };
    expect(() => combineSeams(meterSeams, other)).toThrow(/more than one seam meters/);
  });
});
