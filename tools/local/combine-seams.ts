import type { SQSEvent } from 'aws-lambda';
import type { FactStore } from '../../src/app/ports.js';
import type { RuntimeSeams } from '../../src/runtime/seams.js';

/**
 * Seams applied together: wrappers nest (the first outermost), hooks run in order, and an error is
 * `raised` if any of them raised it. At most one of them may meter.
 */
export function combineSeams(...all: readonly RuntimeSeams[]): RuntimeSeams {
  const meters = all.flatMap((s) => (s.meterDynamo ? [s.meterDynamo] : []));
  if (meters.length > 1) throw new Error('combineSeams: more than one seam meters DynamoDB');
  const wraps = all.flatMap((s) => (s.wrapStore ? [s.wrapStore] : []));
  const afters = all.flatMap((s) => (s.afterHost ? [s.afterHost] : []));
  const befores = all.flatMap((s) => (s.beforeRecord ? [s.beforeRecord] : []));
  const arounds = all.flatMap((s) => (s.aroundBatch ? [s.aroundBatch] : []));
  const raised = all.flatMap((s) => (s.raised ? [s.raised] : []));
  return {
    ...(wraps.length ? { wrapStore: (store: FactStore) => wraps.reduceRight((s, w) => w(s), store) } : {}),
    ...(afters.length
      ? {
          afterHost: () => {
            for (const f of afters) f();
          },
        }
      : {}),
    ...(befores.length
      ? {
          beforeRecord: () => {
            for (const f of befores) f();
          },
        }
      : {}),
    ...(arounds.length
      ? {
          aroundBatch: <T>(event: SQSEvent, run: () => Promise<T>): Promise<T> =>
            arounds.reduceRight<() => Promise<T>>((inner, around) => () => around(event, inner), run)(),
        }
      : {}),
    ...(raised.length ? { raised: (err: unknown) => raised.some((r) => r(err)) } : {}),
    ...(meters[0] ? { meterDynamo: meters[0] } : {}),
  };
}
