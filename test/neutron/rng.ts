import fc from 'fast-check';

/**
 * A seeded source of choices for the trace generator, on top of fast-check's `gen()`: the same
 * integer seed always yields the same sequence. Draws are unbiased (`noBias`), because fast-check's
 * default bias towards small and extreme integers would skew the mix of operations.
 */
export interface Rng {
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight; entries with weight 0 are never picked. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  shuffle<T>(items: readonly T[]): T[];
}

/** One factory for every draw: `gen()` caches arbitraries by factory and arguments. */
const unbiasedInteger = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));

export function createRng(seed: number): Rng {
  const [g] = fc.sample(fc.gen(), { seed, numRuns: 1 });
  if (!g) throw new Error(`fast-check gave no generator for seed ${seed}`);
  const int = (min: number, max: number): number => g(unbiasedInteger, min, max);
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[int(0, items.length - 1)] as T;
  };
  return {
    int,
    chance: (p) => int(0, 999) < Math.round(p * 1000),
    pick,
    weighted<T>(items: readonly (readonly [T, number])[]): T {
      const live = items.filter(([, w]) => w > 0);
      const total = live.reduce((s, [, w]) => s + w, 0);
      if (live.length === 0) throw new Error('weighted pick with no positive weight');
      let r = int(0, Math.ceil(total * 1000) - 1) / 1000;
      for (const [item, w] of live) {
        if (r < w) return item;
        r -= w;
      }
      return (live[live.length - 1] as readonly [T, number])[0];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
  };
}
