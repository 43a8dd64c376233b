import type { FlagSettings, Strategy } from './types.js';

export const DEFAULT_FLAGS: FlagSettings = {
  defaultStrategy: 'tunnel',
  rollout: null,
  networks: {},
  routers: {},
};

/**
 * Stable bucket 0..99 of a router id: FNV-1a 32-bit over the UTF-16 code units. Stable across
 * processes, runtimes and versions, so the rollout does not reshuffle routers on redeploy.
 */
export function computeRolloutBucket(routerId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < routerId.length; i++) {
    hash ^= routerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

/** Where a resolved strategy came from; carried into logs and metrics. */
export type StrategySource = 'router' | 'network' | 'rollout' | 'default';

export interface ResolvedStrategy {
  readonly strategy: Strategy;
  readonly source: StrategySource;
}

/** Precedence: per-router override, per-network override, percentage rollout, global default. */
export function resolveStrategy(flags: FlagSettings, routerId: string, networkId: string): ResolvedStrategy {
  const byRouter = flags.routers[routerId];
  if (byRouter) return { strategy: byRouter, source: 'router' };
  const byNetwork = flags.networks[networkId];
  if (byNetwork) return { strategy: byNetwork, source: 'network' };
  if (flags.rollout && computeRolloutBucket(routerId) < flags.rollout.percent) {
    return { strategy: flags.rollout.strategy, source: 'rollout' };
  }
  return { strategy: flags.defaultStrategy, source: 'default' };
}
