import { AsyncLocalStorage } from 'node:async_hooks';
import type { FactStore } from '../app/ports.js';
import type { FaultPoint } from './config.js';

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

interface Invocation {
  readonly armed: boolean;
  fired: FaultInjectedError | null;
  /** Networks whose state this invocation committed. */
  readonly networks: Set<string>;
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
 * Fault injection for the crash-point tests (docs/crash-safety.md). An invocation is armed only
 * when every record in it is on its first delivery, so each message dies at most once and never
 * reaches the DLQ because of an injected crash.
 */
export function createFaultInjector(
  probabilities: Readonly<Partial<Record<FaultPoint, number>>>,
  seed: number,
) {
  const draw = seededRandom(seed);
  const context = new AsyncLocalStorage<Invocation>();
  const enabled = Object.values(probabilities).some((p) => (p ?? 0) > 0);
  const maybeCrash = (point: FaultPoint) => {
    const inv = context.getStore();
    if (!inv?.armed || inv.fired) return;
    if (draw() < (probabilities[point] ?? 0)) {
      inv.fired = new FaultInjectedError(point, inv.networks.size);
      throw inv.fired;
    }
  };
  return {
    enabled,
    /** Runs one invocation; returns the crash that fired in it, if any. */
    async run<T>(
      armed: boolean,
      fn: () => Promise<T>,
    ): Promise<{ value: T; crash: FaultInjectedError | null }> {
      const inv: Invocation = { armed: enabled && armed, fired: null, networks: new Set() };
      const value = await context.run(inv, fn);
      return { value, crash: inv.fired };
    },
    wrapStore<S extends FactStore>(store: S): S {
      if (!enabled) return store;
      return {
        ...store,
        async commit(c) {
          // Between two networks' commits: this invocation committed one network and is about to
          // commit another (an HA change, flag flip or agent report moves one network at a time).
          const inv = context.getStore();
          const ids = c.networks.map((w) => w.value.network.id);
          if (inv && inv.networks.size > 0 && ids.some((id) => !inv.networks.has(id)))
            maybeCrash('between-networks');
          const result = await store.commit(c);
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
    /** A crashed invocation runs no further line: later records of its batch die at once. */
    throwIfCrashed(): void {
      const fired = context.getStore()?.fired;
      if (fired) throw fired;
    },
    /** The hook the SQS publisher calls after each host's messages are sent. */
    afterHost(): void {
      maybeCrash('mid-fanout');
    },
  };
}

export type FaultInjector = ReturnType<typeof createFaultInjector>;
