import { addNamespace, bridge, veth } from './netns.js';
import { ipIn, runCommand } from './run-command.js';
import type { RunRecord } from './run-record.js';

/**
 * The failover topology of docs/dataplane.md §2, documentation addresses only:
 *
 *  netns ul: br-ul -- eth0 198.51.100.11 compute1 -- br-100 -- tap-vm -- eth0 of vm1 192.0.2.10
 *                  -- eth0 198.51.100.12 compute2 -- br-100 -- tap-vm -- eth0 of vm2 192.0.2.20
 *                  -- eth0 198.51.100.21 net1 -- br-100 -- tap-qr -- qr of rtr1 (fa:16:3e:00:00:01)
 *                                               br-200 -- tap-ha -- ha of rtr1 203.0.113.1/24
 *                  -- eth0 198.51.100.22 net2 -- (same with rtr2, ha 203.0.113.2/24)
 *
 * The agents own the vxlan devices (vx-100 tenant, vx-200 HA network) and enslave them to the
 * bridges built here. keepalived puts VIP 192.0.2.1/24 on the master's qr. Nothing is configured
 * in the root namespace, and IPv6 is off in every namespace (dataplane.md finding 5).
 */
export const HOSTS = {
  compute1: { underlayIp: '198.51.100.11', role: 'compute' },
  compute2: { underlayIp: '198.51.100.12', role: 'compute' },
  net1: { underlayIp: '198.51.100.21', role: 'network' },
  net2: { underlayIp: '198.51.100.22', role: 'network' },
} as const;
export type HostName = keyof typeof HOSTS;
export const HOST_NAMES = Object.keys(HOSTS) as HostName[];

export const VMS = {
  vm1: { host: 'compute1', ip: '192.0.2.10', mac: 'fa:16:3e:00:00:10' },
  vm2: { host: 'compute2', ip: '192.0.2.20', mac: 'fa:16:3e:00:00:20' },
} as const;
export type VmName = keyof typeof VMS;

export const ROUTERS = {
  rtr1: { host: 'net1', haIp: '203.0.113.1', haMac: 'fa:16:3e:00:00:a1' },
  rtr2: { host: 'net2', haIp: '203.0.113.2', haMac: 'fa:16:3e:00:00:a2' },
} as const;
export type RouterName = keyof typeof ROUTERS;

export const TENANT_VNI = 100;
export const HA_VNI = 200;
export const ROUTER_MAC = 'fa:16:3e:00:00:01';
export const ROUTER_VIP = '192.0.2.1';
export const HA_VIP = '203.0.113.254';
const MTU = '1450';

export type NamespaceName = 'ul' | HostName | VmName | RouterName;

export interface Topology {
  /** Logical name -> the run's namespace name (prefixed, unique per run). */
  readonly ns: Readonly<Record<NamespaceName, string>>;
  readonly setupMs: number;
}

export async function createTopology(record: RunRecord, prefix: string): Promise<Topology> {
  const started = Date.now();
  const names = ['ul', ...HOST_NAMES, ...Object.keys(VMS), ...Object.keys(ROUTERS)] as NamespaceName[];
  const ns = Object.fromEntries(names.map((n) => [n, `${prefix}-${n}`])) as Record<NamespaceName, string>;
  await Promise.all(
    names.map((n) =>
      addNamespace(record, ns[n], 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'),
    ),
  );

  await bridge(ns.ul, 'br-ul');
  await Promise.all(
    HOST_NAMES.map(async (host) => {
      await veth(ns.ul, `ul-${host}`, ns[host], 'eth0');
      await ipIn(ns.ul, 'link', 'set', `ul-${host}`, 'master', 'br-ul', 'up');
      await ipIn(ns[host], 'addr', 'add', `${HOSTS[host].underlayIp}/24`, 'dev', 'eth0');
      await ipIn(ns[host], 'link', 'set', 'eth0', 'up');
      await bridge(ns[host], `br-${TENANT_VNI}`);
      if (HOSTS[host].role === 'network') await bridge(ns[host], `br-${HA_VNI}`);
    }),
  );
  await Promise.all(
    (Object.keys(VMS) as VmName[]).map(async (vm) => {
      const { host, ip, mac } = VMS[vm];
      await veth(ns[host], 'tap-vm', ns[vm], 'eth0');
      await ipIn(ns[host], 'link', 'set', 'tap-vm', 'master', `br-${TENANT_VNI}`, 'up');
      await ipIn(ns[vm], 'link', 'set', 'eth0', 'address', mac, 'mtu', MTU, 'up');
      await ipIn(ns[vm], 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
    }),
  );
  await Promise.all(
    (Object.keys(ROUTERS) as RouterName[]).map(async (rtr) => {
      const { host, haIp, haMac } = ROUTERS[rtr];
      await veth(ns[host], 'tap-qr', ns[rtr], 'qr');
      await ipIn(ns[host], 'link', 'set', 'tap-qr', 'master', `br-${TENANT_VNI}`, 'up');
      // Same MAC on both routers; the standby's qr is up with no IPv4 address (finding 5).
      await ipIn(ns[rtr], 'link', 'set', 'qr', 'address', ROUTER_MAC, 'mtu', MTU, 'up');
      await veth(ns[host], 'tap-ha', ns[rtr], 'ha');
      await ipIn(ns[host], 'link', 'set', 'tap-ha', 'master', `br-${HA_VNI}`, 'up');
      await ipIn(ns[rtr], 'link', 'set', 'ha', 'address', haMac, 'mtu', MTU, 'up');
      await ipIn(ns[rtr], 'addr', 'add', `${haIp}/24`, 'dev', 'ha');
    }),
  );
  return { ns, setupMs: Date.now() - started };
}

/** Node loss: the network node's underlay link goes down (its router keeps its VIP, unreachable). */
export async function cutUnderlay(topology: Topology, host: HostName): Promise<void> {
  await ipIn(topology.ns[host], 'link', 'set', 'eth0', 'down');
}

/** Pins the gateway's ARP entry in a VM (the negative control starts from a working state). */
export async function pinGatewayArp(topology: Topology, vm: VmName): Promise<void> {
  await ipIn(
    topology.ns[vm],
    'neigh',
    'replace',
    ROUTER_VIP,
    'lladdr',
    ROUTER_MAC,
    'dev',
    'eth0',
    'nud',
    'permanent',
  );
}

/** Forgets the router MAC the compute VTEPs learned, so unknown unicast floods to both network nodes again. */
export async function flushLearnedRouterMac(topology: Topology): Promise<void> {
  for (const host of HOST_NAMES.filter((h) => HOSTS[h].role === 'compute')) {
    await runCommand([
      'bridge',
      '-n',
      topology.ns[host],
      'fdb',
      'del',
      ROUTER_MAC,
      'dev',
      `vx-${TENANT_VNI}`,
      'self',
    ]).catch(() => undefined);
  }
}
