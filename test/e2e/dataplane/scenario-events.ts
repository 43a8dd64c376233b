import type { FlagsSetEvent, HaScheduleEvent, PortUpsertEvent } from '../../../src/contracts/events.js';
import { OWNER } from '../../../src/core/owners.js';
import type { Strategy } from '../../../src/core/types.js';
import {
  HA_VNI,
  ROUTER_MAC,
  ROUTER_VIP,
  ROUTERS,
  type RouterName,
  TENANT_VNI,
  VMS,
  type VmName,
} from './topology.js';

/** An inbound event with the queue and FIFO message group it travels in (docs/crash-safety.md). */
export interface QueuedEvent {
  readonly queue: 'port' | 'ha';
  readonly group: string;
  readonly event: FlagsSetEvent | HaScheduleEvent | PortUpsertEvent;
}

export const ROUTER_ID = 'router-1';
const TENANT = { id: 'net-tenant', name: 'tenant', networkType: 'vxlan', segmentId: TENANT_VNI } as const;
const HA_NET = { id: 'net-ha', name: 'ha-network', networkType: 'vxlan', segmentId: HA_VNI } as const;

function portUpsert(
  network: typeof TENANT | typeof HA_NET,
  port: { id: string; mac: string; ip: string; owner: string; deviceId: string; host: string },
): QueuedEvent {
  return {
    queue: 'port',
    group: network.id,
    event: {
      type: 'port.upsert',
      v: 1,
      network: { ...network },
      port: {
        id: port.id,
        networkId: network.id,
        mac: port.mac,
        ips: [port.ip],
        deviceOwner: port.owner,
        deviceId: port.deviceId,
        host: port.host,
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
      },
    },
  };
}

/**
 * The operator's flag, first and on its own: a router takes the strategy the flags resolve to when
 * it first appears in a network, so the flag must be recorded before the ports arrive.
 */
export function flagEvents(strategy: Strategy): QueuedEvent[] {
  const flags = { defaultStrategy: strategy, rollout: null, networks: {}, routers: {} };
  return [{ queue: 'ha', group: 'flags', event: { type: 'flags.set', v: 1, flags, revision: 1 } }];
}

/**
 * What Neutron's server would publish for this topology: the router scheduled on both network
 * nodes, the VMs' ports, the HA network's ports and the router's tenant port. That port stays
 * bound to net1 and is never rebound: the stale binding master-binding must see through (guarantee 1, docs/architecture.md).
 * With `dhcpOnNetworkNodes`, both network nodes also hold a DHCP port on the tenant network.
 */
export function topologyEvents(dhcpOnNetworkNodes: boolean): QueuedEvent[] {
  const schedule: QueuedEvent = {
    queue: 'ha',
    group: ROUTER_ID,
    event: { type: 'ha.schedule', v: 1, routerId: ROUTER_ID, hosts: ['net1', 'net2'], revision: 1 },
  };
  const vms = (Object.keys(VMS) as VmName[]).map((vm) =>
    portUpsert(TENANT, { id: `port-${vm}`, ...VMS[vm], owner: 'compute:nova', deviceId: vm }),
  );
  const ha = (Object.keys(ROUTERS) as RouterName[]).map((rtr) =>
    portUpsert(HA_NET, {
      id: `port-ha-${rtr}`,
      mac: ROUTERS[rtr].haMac,
      ip: ROUTERS[rtr].haIp,
      owner: 'network:router_ha_interface',
      deviceId: ROUTER_ID,
      host: ROUTERS[rtr].host,
    }),
  );
  const qr = portUpsert(TENANT, {
    id: 'port-qr',
    mac: ROUTER_MAC,
    ip: ROUTER_VIP,
    owner: OWNER.haInterface,
    deviceId: ROUTER_ID,
    host: 'net1',
  });
  const dhcp = dhcpOnNetworkNodes
    ? (['net1', 'net2'] as const).map((host, i) =>
        portUpsert(TENANT, {
          id: `port-dhcp-${host}`,
          mac: `fa:16:3e:00:00:d${i + 1}`,
          ip: `192.0.2.${i + 2}`,
          owner: 'network:dhcp',
          deviceId: `dhcp-${host}`,
          host,
        }),
      )
    : [];
  return [schedule, ...vms, ...ha, qr, ...dhcp];
}
