import { isTombstone, type PortRecord } from '../core/transitions.js';
import type { Port } from '../core/types.js';

/**
 * The router whose port set a port belongs to: a live, network-owned port (`network:*` owner) with
 * a device id. Every owner a router's port can have is network-owned; VM ports never are. Both
 * stores index `listRouterPorts` by this one rule.
 */
export function routerOfPort(record: PortRecord | undefined): string | null {
  if (!record || isTombstone(record)) return null;
  return record.deviceOwner.startsWith('network:') && record.deviceId !== '' ? record.deviceId : null;
}

export function isRouterPort(port: Port, routerId: string): boolean {
  return routerOfPort(port) === routerId;
}
