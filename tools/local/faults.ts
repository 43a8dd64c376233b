import { AsyncLocalStorage } from 'node:async_hooks';
import type { SQSEvent } from 'aws-lambda';
import type { FactStore } from '../../src/app/ports.js';
import type { RuntimeSeams } from '../../src/runtime/seams.js';

/** The crash points of docs/crash-safety.md. */
export const FAULT_POINTS = [
  'after-commit',
  'mid-fanout',
  'after-fanout',
  'between-networks',
  'between-commits',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];
export type FaultProbabilities = Readonly<Partial<Record<FaultPoint, number>>>;

/** The injected crash: the invocation dies here, as a Lambda killed at that line would. */
export class FaultInjectedError extends Error {
  override readonly name = 'FaultInjectedError';
  constructor(
    readonly point: FaultPoint,
    /** Network states this invocation had committed when it died. */
    readonly networksCommitted: number,
  ) {
    super(`injected crash ${point} after ${networksCommitted} network commits`);
  }
}

export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

/**
 * The local stack's fault settings, from the environment it was given (the runtime tests set them):
 * `L2POP_FAULTS` is `point=probability,...` over FAULT_POINTS, each probability in [0, 1];
 * `L2POP_FAULT_SEED` (default 1) makes the draws repeatable. Null when no point has a probability.
 */
export function faultsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { probabilities: FaultProbabilities; seed: number } | null {
  const probabilities: Partial<Record<FaultPoint, number>> = {};
  for (const part of (env.L2POP_FAULTS ?? '').split(',').filter(Boolean)) {
    const [point, p] = part.split('=');
    const prob = p === undefined || p.trim() === '' ? Number.NaN : Number(p);
    if (!(FAULT_POINTS as readonly string[]).includes(point ?? '') || !(prob >= 0 && prob <= 1))
      throw new FaultConfigError(
        `L2POP_FAULTS: bad entry ${part} (expected point=probability, point one of ${FAULT_POINTS.join(', ')})`,
      );
    probabilities[point as FaultPoint] = prob;
  }
  const rawSeed = env.L2POP_FAULT_SEED ?? '';
  const seed = rawSeed === '' ? 1 : Number(rawSeed);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2 ** 31 - 1)
    throw new FaultConfigError(`L2POP_FAULT_SEED=${rawSeed}: expected an integer from 0 to ${2 ** 31 - 1}`);
  return Object.values(probabilities).some((p) => (p ?? 0) > 0) ? { probabilities, seed } : null;
}

interface Invocation {
  readonly armed: boolean;
  fired: FaultInjectedError | null;
  /** Networks whose state this invocation committed. */
  readonly networks: Set<string>;
  /** Transactions this invocation committed (a network rebuild commits several in a row). */
  commits: number;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fault injection for the crash-point tests (docs/crash-safety.md), as seams a function is built
 * with (src/runtime/seams.ts): the local stack attaches them when it is given `L2POP_FAULTS`. An
 * invocation is armed only when every record in it is on its first delivery, so each message dies
 * at most once and never reaches the DLQ because of an injected crash.
 */
export function createFaultInjector(probabilities: FaultProbabilities, seed: number): RuntimeSeams {
  const draw = seededRandom(seed);
  const context = new AsyncLocalStorage<Invocation>();
  const maybeCrash = (point: FaultPoint) => {
    const inv = context.getStore();
    if (!inv?.armed || inv.fired) return;
    if (draw() < (probabilities[point] ?? 0)) {
      inv.fired = new FaultInjectedError(point, inv.networks.size);
      throw inv.fired;
    }
  };
  return {
    async aroundBatch<T>(event: SQSEvent, run: () => Promise<T>): Promise<T> {
      const armed = event.Records.every((r) => r.attributes.ApproximateReceiveCount === '1');
      const inv: Invocation = { armed, fired: null, networks: new Set(), commits: 0 };
      const value = await context.run(inv, run);
      if (inv.fired) throw inv.fired;
      return value;
    },
    /** A crashed invocation runs no further line: later records of its batch die at once. */
    beforeRecord(): void {
      const fired = context.getStore()?.fired;
      if (fired) throw fired;
    },
    afterHost(): void {
      maybeCrash('mid-fanout');
    },
    raised: (err) => err instanceof FaultInjectedError,
    wrapStore(store: FactStore): FactStore {
      return {
        ...store,
        async commit(c) {
          // Between two networks' commits: this invocation committed one network and is about to
          // commit another (an HA change, flag flip or agent report moves one network at a time).
          const inv = context.getStore();
          const ids = c.networks.map((w) => w.value.network.id);
          if (inv && inv.networks.size > 0 && ids.some((id) => !inv.networks.has(id)))
            maybeCrash('between-networks');
          // Between two commits of one invocation, whatever they write (a network rebuild's index,
          // state and sum commits, docs/crash-safety.md "Network rebuild").
          if (inv && inv.commits > 0) maybeCrash('between-commits');
          const result = await store.commit(c);
          if (result === 'committed' && inv) inv.commits++;
          if (result === 'committed') for (const id of ids) inv?.networks.add(id);
          if (result === 'committed' && c.outbox.length > 0) maybeCrash('after-commit');
          return result;
        },
        async deleteOutbox(networkId, key) {
          maybeCrash('after-fanout');
          return store.deleteOutbox(networkId, key);
        },
      };
    },
  };
}
