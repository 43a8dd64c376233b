import type { HaStateEvent } from '../../../src/contracts/events.js';
import { OWNER } from '../../../src/core/owners.js';
import type { FlagSettings, HaRouter, Network, Port, Strategy } from '../../../src/core/types.js';
import type { AgentSpec } from './agent-fleet.js';
import type { NotifyLine } from './notify-log.js';
import {
  HA_VNI,
  HOST_NAMES,
  type HostName,
  ROUTER_MAC,
  ROUTER_VIP,
  ROUTERS,
  type RouterName,
  TENANT_VNI,
  VMS,
  type VmName,
} from './topology.js';

export type FailureKind = 'graceful' | 'node-loss';

export interface FailoverScenario {
  readonly id: string;
  readonly strategy: Strategy;
  readonly agents: Readonly<Record<HostName, Omit<AgentSpec, 'host'>>>;
  readonly failures: readonly FailureKind[];
  /** false: a negative control, which must NOT recover within its observation window. */
  readonly expectRecovery: boolean;
  /** Pause the controller just before the failure (events queue up, nothing is sent). */
  readonly controllerStopped?: boolean;
  /** Pin the gateway's ARP entry in the VMs, so a scenario whose ARP replies get eaten starts working. */
  readonly pinGatewayArp?: boolean;
  /**
   * Between cases, delete the router MAC the computes learned (what an operator would do, or a
   * 300 s `ageing`), so a case that never recovered leaves a working baseline for the next.
   */
  readonly flushLearnedBetweenCases?: boolean;
  /**
   * Give both network nodes a DHCP port on the tenant network (as Neutron network nodes usually
   * have), so the standby's host is present before the failover and only the binding moves.
   */
  readonly dhcpOnNetworkNodes?: boolean;
  readonly why: string;
}

const LEARN = { learning: true, arp: 'off' } as const;
const LINUX_BRIDGE = { learning: false, arp: 'proxy' } as const;

export const SCENARIOS: readonly FailoverScenario[] = [
  {
    id: 'tunnel',
    strategy: 'tunnel',
    agents: { compute1: LEARN, compute2: LEARN, net1: LEARN, net2: LEARN },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    why: "flooding to both network nodes + MAC learning: the new master's GARP repoints the learned entry",
  },
  {
    id: 'master-binding',
    strategy: 'master-binding',
    agents: { compute1: LINUX_BRIDGE, compute2: LINUX_BRIDGE, net1: LINUX_BRIDGE, net2: LINUX_BRIDGE },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    why: 'Linux-bridge style (ARP proxy, no learning): the controller moves unicast + ARP entries to the new master',
  },
  {
    id: 'master-binding/dhcp-on-network-nodes',
    strategy: 'master-binding',
    agents: { compute1: LINUX_BRIDGE, compute2: LINUX_BRIDGE, net1: LINUX_BRIDGE, net2: LINUX_BRIDGE },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    dhcpOnNetworkNodes: true,
    why: 'as master-binding, but the standby host is already in the network (its DHCP port): no device to create at failover',
  },
  {
    id: 'auto',
    strategy: 'auto',
    agents: { compute1: LEARN, compute2: { learning: false, arp: 'off' }, net1: LEARN, net2: LEARN },
    failures: ['graceful', 'node-loss'],
    expectRecovery: true,
    why: 'compute1 learns (tunnel view), compute2 does not (master-binding view); both must recover',
  },
  {
    id: 'master-binding/controller-stopped',
    strategy: 'master-binding',
    agents: { compute1: LINUX_BRIDGE, compute2: LINUX_BRIDGE, net1: LINUX_BRIDGE, net2: LINUX_BRIDGE },
    failures: ['graceful', 'node-loss'],
    expectRecovery: false,
    controllerStopped: true,
    why: 'negative control: nobody repoints the permanent entries, so traffic stays black-holed',
  },
  {
    id: 'tunnel/arp-proxy-on-network-nodes',
    strategy: 'tunnel',
    agents: {
      compute1: LEARN,
      compute2: LEARN,
      net1: { learning: true, arp: 'proxy' },
      net2: { learning: true, arp: 'proxy' },
    },
    failures: ['graceful', 'node-loss'],
    expectRecovery: false,
    pinGatewayArp: true,
    flushLearnedBetweenCases: true,
    why: "negative control: the vxlan proxy on the new master's VTEP eats its GARPs (dataplane.md finding 2)",
  },
];

export const TENANT_NETWORK: Network = {
  id: 'net-tenant',
  name: 'tenant',
  networkType: 'vxlan',
  segmentId: TENANT_VNI,
};
export const HA_NETWORK: Network = {
  id: 'net-ha',
  name: 'ha-network',
  networkType: 'vxlan',
  segmentId: HA_VNI,
};
export const ROUTER_ID = 'router-1';

function port(
  id: string,
  network: Network,
  mac: string,
  ip: string,
  owner: string,
  deviceId: string,
  host: string,
): Port {
  return {
    id,
    networkId: network.id,
    mac,
    ips: [ip],
    deviceOwner: owner,
    deviceId,
    host,
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
  };
}

/**
 * The Neutron facts of the topology. The router's tenant port is bound to net1 and never rebound:
 * the stale binding that master-binding must see through (brief §1).
 */
export function scenarioFacts(
  strategy: Strategy,
  dhcpOnNetworkNodes = false,
): {
  networks: Network[];
  ports: Port[];
  routers: HaRouter[];
  flags: FlagSettings;
} {
  const vmPorts = (Object.keys(VMS) as VmName[]).map((vm) =>
    port(`port-${vm}`, TENANT_NETWORK, VMS[vm].mac, VMS[vm].ip, 'compute:nova', vm, VMS[vm].host),
  );
  const haPorts = (Object.keys(ROUTERS) as RouterName[]).map((rtr) =>
    port(
      `port-ha-${rtr}`,
      HA_NETWORK,
      ROUTERS[rtr].haMac,
      ROUTERS[rtr].haIp,
      'network:router_ha_interface',
      ROUTER_ID,
      ROUTERS[rtr].host,
    ),
  );
  return {
    networks: [TENANT_NETWORK, HA_NETWORK],
    ports: [
      ...vmPorts,
      port('port-qr', TENANT_NETWORK, ROUTER_MAC, ROUTER_VIP, OWNER.haInterface, ROUTER_ID, 'net1'),
      ...haPorts,
      ...(dhcpOnNetworkNodes
        ? [
            port(
              'port-dhcp-net1',
              TENANT_NETWORK,
              'fa:16:3e:00:00:d1',
              '192.0.2.2',
              'network:dhcp',
              'dhcp-net1',
              'net1',
            ),
            port(
              'port-dhcp-net2',
              TENANT_NETWORK,
              'fa:16:3e:00:00:d2',
              '192.0.2.3',
              'network:dhcp',
              'dhcp-net2',
              'net2',
            ),
          ]
        : []),
    ],
    routers: [{ id: ROUTER_ID, hosts: ['net1', 'net2'], states: {}, revision: 1, version: 1 }],
    flags: { defaultStrategy: strategy, rollout: null, networks: {}, routers: {} },
  };
}

export function agentSpecs(scenario: FailoverScenario): AgentSpec[] {
  return HOST_NAMES.map((host) => ({ host, ...scenario.agents[host] }));
}

const STATE_OF = { MASTER: 'active', BACKUP: 'standby', FAULT: 'fault', STOP: 'standby' } as const;

/**
 * A notify line as the `ha.state` event an L3 agent would send: ordered by the hook's own
 * timestamp in microseconds (`seq`), so a late-arriving older report can never win (brief §3.4).
 */
export function haEventOf(line: NotifyLine): HaStateEvent {
  return {
    type: 'ha.state',
    v: 1,
    routerId: ROUTER_ID,
    host: ROUTERS[line.router as RouterName].host,
    state: STATE_OF[line.state],
    term: 0,
    seq: Math.round(line.t * 1000),
  };
}
