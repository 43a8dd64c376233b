import type { Port } from './types.js';

/** Device owners with a rule of their own (docs/neutron-l2pop.md §1.4). */
export const OWNER = {
  haInterface: 'network:ha_router_replicated_interface',
  centralizedSnat: 'network:router_centralized_snat',
  dvrInterface: 'network:router_interface_distributed',
  routerGateway: 'network:router_gateway',
} as const;

/**
 * Octavia's VIP port (`OCTAVIA_OWNER` in octavia/common/constants.py): a reservation of the load
 * balancer's VIP, left unbound, that the amphorae's ports carry as an allowed-address pair
 * (docs/vip.md, "The Octavia VIP port"). Neutron's l2pop has no rule for it (no mention in
 * neutron/plugins/ml2/drivers/l2pop/ or neutron_lib/constants.py): it is an ordinary port, so
 * unbound it contributes nothing, and bound it would be an ordinary port of its host.
 */
export const OCTAVIA_OWNER = 'Octavia';

/** Neutron owners this controller accepts besides `compute:*` and the empty owner. */
const KNOWN_NETWORK_OWNERS: ReadonlySet<string> = new Set([
  'network:dhcp',
  'network:router_interface',
  'network:router_gateway',
  'network:router_ha_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
  'network:router_centralized_snat',
  'network:floatingip',
  'network:floatingip_agent_gateway',
  'network:local_ip',
  'network:distributed',
  OCTAVIA_OWNER,
]);

export function isKnownDeviceOwner(owner: string): boolean {
  return owner === '' || /^compute:[A-Za-z0-9_.-]*$/.test(owner) || KNOWN_NETWORK_OWNERS.has(owner);
}

/**
 * Owners whose contribution depends on the router named by the port's device id: an HA interface
 * (its presence and entries follow the router's schedule and master), a centralized-SNAT port (HA
 * when its router is), and a gateway port (located on the master of an HA router). Every other
 * port's contribution reads no router fact (`classifyPort`, `computePortContribution`).
 */
export const ROUTER_DEPENDENT_OWNERS: ReadonlySet<string> = new Set([
  OWNER.haInterface,
  OWNER.centralizedSnat,
  OWNER.routerGateway,
]);

/**
 * The one rule for "which ports depend on a router": the router a port's contribution reads, or
 * null. The stores index `listRouterPorts` by it, a router change replans exactly these ports
 * (`src/app/on-ha-change.ts`) and a port event catches up exactly these routers.
 */
export function routerDependedOn(port: Pick<Port, 'deviceOwner' | 'deviceId'>): string | null {
  return ROUTER_DEPENDENT_OWNERS.has(port.deviceOwner) && port.deviceId !== '' ? port.deviceId : null;
}

/** How a port takes part in l2pop. */
export type PortRole = 'ordinary' | 'dvr' | 'ha' | 'ha-gateway';

/**
 * `is_ha_router_port` (neutron/db/l3_hamode_db.py): a replicated interface is always HA; a
 * centralized-SNAT port is HA only when its router is an HA router. A gateway port of an HA
 * router is ordinary but follows the master (Neutron rebinds it, docs/neutron-l2pop.md §3.1).
 */
export function classifyPort(
  owner: string,
  deviceId: string,
  routers: ReadonlyMap<string, unknown>,
): PortRole {
  if (owner === OWNER.dvrInterface) return 'dvr';
  if (owner === OWNER.haInterface) return 'ha';
  if (owner === OWNER.centralizedSnat && routers.has(deviceId)) return 'ha';
  if (owner === OWNER.routerGateway && routers.has(deviceId)) return 'ha-gateway';
  return 'ordinary';
}
