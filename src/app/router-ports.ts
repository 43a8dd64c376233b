import { routerDependedOn } from '../core/owners.js';
import { isTombstone, type PortRecord } from '../core/transitions.js';
import type { Port } from '../core/types.js';

/**
 * The router whose port set a live port belongs to: the core's one rule for "ports that depend
 * on a router" (`routerDependedOn`). Both stores index `listRouterPorts` by it, so an HA change
 * lists exactly the ports whose contribution it moves.
 */
export function routerOfPort(record: PortRecord | undefined): string | null {
  if (!record || isTombstone(record)) return null;
  return routerDependedOn(record);
}

export function isRouterPort(port: Port, routerId: string): boolean {
  return routerOfPort(port) === routerId;
}
