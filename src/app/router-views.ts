import type { RouterView } from '../core/types.js';
import type { NetworkState } from './ports.js';

export { sameRouterView, viewOfRouter } from '../core/ha.js';

/** The router views a network's tables reflect, by id: what its HA ports are classified with. */
export function recordedViews(state: NetworkState): Map<string, RouterView> {
  return new Map(Object.entries(state.routers));
}
