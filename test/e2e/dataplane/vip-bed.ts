import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Strategy } from '../../../src/core/types.js';
import type { PlacedAgentSpec } from './agent-fleet.js';
import { addNamespace, bridge, veth } from './netns.js';
import { HARNESS_ENV, ipIn } from './run-command.js';
import type { RunRecord } from './run-record.js';
import type { QueuedEvent } from './scenario-events.js';

/**
 * The VIP bed (docs/vip.md "Proof on the kernel"), documentation addresses only:
 *
 *  netns ul: br-ul -- h1 198.51.100.31 -- br-100 -- tap-va -- eth0 of va (keepalived)
 *                  -- h2 198.51.100.32 -- br-100 -- tap-vb -- eth0 of vb (keepalived)
 *                  -- o1 198.51.100.41 -- br-100 -- tap-c1 -- eth0 of c1   (learning agent)
 *                  -- o2 198.51.100.42 -- br-100 -- tap-c2 -- eth0 of c2   (ARP-proxy agent)
 *
 * va and vb run keepalived with two VRRP instances on the tenant network itself: a plain VIP
 * (192.0.2.100, 2001:db8::100, at the master's own MAC) and a `use_vmac` VIP (192.0.2.200,
 * 2001:db8::200, at 00:00:5e:00:01:34 on `vrrp.52`). Both ports carry all four as allowed-address
 * pairs. The host namespaces are L2 only (bridge, vxlan), with no IPv6 address of their own.
 */
export const VIP_HOSTS = {
  h1: { underlayIp: '198.51.100.31', vm: 'va' },
  h2: { underlayIp: '198.51.100.32', vm: 'vb' },
  o1: { underlayIp: '198.51.100.41', vm: 'c1' },
  o2: { underlayIp: '198.51.100.42', vm: 'c2' },
} as const;
export type VipHost = keyof typeof VIP_HOSTS;
const HOST_IDS = Object.keys(VIP_HOSTS) as VipHost[];

export const VIP_VMS = {
  va: { host: 'h1', mac: 'fa:16:3e:00:01:31', ip4: '192.0.2.31', ip6: '2001:db8::31' },
  vb: { host: 'h2', mac: 'fa:16:3e:00:01:32', ip4: '192.0.2.32', ip6: '2001:db8::32' },
  c1: { host: 'o1', mac: 'fa:16:3e:00:01:41', ip4: '192.0.2.41', ip6: '2001:db8::41' },
  c2: { host: 'o2', mac: 'fa:16:3e:00:01:42', ip4: '192.0.2.42', ip6: '2001:db8::42' },
} as const;
export type VipVm = keyof typeof VIP_VMS;
export type KeepalivedVm = 'va' | 'vb';
export const CLIENTS = ['c1', 'c2'] as const;

export const VIPS = {
  plain: { vrid: 51, ip4: '192.0.2.100', ip6: '2001:db8::100', vmac: null },
  vmac: { vrid: 52, ip4: '192.0.2.200', ip6: '2001:db8::200', vmac: '00:00:5e:00:01:34' },
} as const;
export type VipKind = keyof typeof VIPS;

export const VIP_NETWORK = {
  id: 'net-tenant',
  name: 'tenant',
  networkType: 'vxlan',
  segmentId: 100,
} as const;
const MTU = '1450';

export type VipNamespace = 'ul' | VipHost | VipVm;
export interface VipTopology {
  readonly ns: Readonly<Record<VipNamespace, string>>;
}

/**
 * IPv6 is on everywhere (a proxy agent programs IPv6 neighbour entries on its vxlan device), but
 * the host namespaces generate no link-local address (`addr_gen_mode` 1): they are L2 only and
 * must not put their own MLD or DAD traffic on the tenant network.
 */
function addVipNamespace(record: RunRecord, name: string, vm: boolean): Promise<void> {
  return addNamespace(
    record,
    name,
    'net.ipv6.conf.all.disable_ipv6=0',
    'net.ipv6.conf.default.disable_ipv6=0',
    ...(vm ? [] : ['net.ipv6.conf.default.addr_gen_mode=1']),
  );
}

export async function createVipTopology(record: RunRecord, prefix: string): Promise<VipTopology> {
  const vms = Object.keys(VIP_VMS) as VipVm[];
  const names: VipNamespace[] = ['ul', ...HOST_IDS, ...vms];
  const ns = Object.fromEntries(names.map((n) => [n, `${prefix}-${n}`])) as Record<VipNamespace, string>;
  await Promise.all(names.map((n) => addVipNamespace(record, ns[n], vms.includes(n as VipVm))));
  await ipIn(ns.ul, 'link', 'add', 'br-ul', 'type', 'bridge');
  await ipIn(ns.ul, 'link', 'set', 'br-ul', 'up');
  await Promise.all(
    HOST_IDS.map(async (host) => {
      const h = ns[host];
      await veth(ns.ul, `ul-${host}`, h, 'eth0');
      await ipIn(ns.ul, 'link', 'set', `ul-${host}`, 'master', 'br-ul', 'up');
      await ipIn(h, 'addr', 'add', `${VIP_HOSTS[host].underlayIp}/24`, 'dev', 'eth0');
      await ipIn(h, 'link', 'set', 'eth0', 'up');
      await bridge(h, 'br-100');
      const vm = VIP_HOSTS[host].vm;
      const { mac, ip4, ip6 } = VIP_VMS[vm];
      await veth(h, `tap-${vm}`, ns[vm], 'eth0');
      await ipIn(h, 'link', 'set', `tap-${vm}`, 'master', 'br-100', 'up');
      await ipIn(ns[vm], 'link', 'set', 'eth0', 'address', mac, 'mtu', MTU, 'up');
      await ipIn(ns[vm], 'addr', 'add', `${ip4}/24`, 'dev', 'eth0');
      await ipIn(ns[vm], 'addr', 'add', `${ip6}/64`, 'dev', 'eth0', 'nodad');
    }),
  );
  return { ns };
}

/** The loss of a VM: its port goes down on the host (the VM is gone from the network). */
export async function setPort(topology: VipTopology, vm: KeepalivedVm, up: boolean): Promise<void> {
  await ipIn(topology.ns[VIP_VMS[vm].host], 'link', 'set', `tap-${vm}`, up ? 'up' : 'down');
}

/** What a killed keepalived leaves in its VM: the VIPs and the vmac device. */
export async function clearVipLeftovers(topology: VipTopology, vm: KeepalivedVm): Promise<void> {
  const ns = topology.ns[vm];
  await ipIn(ns, 'link', 'del', 'vrrp.52').catch(() => undefined);
  for (const addr of [`${VIPS.plain.ip4}/24`, `${VIPS.plain.ip6}/64`])
    await ipIn(ns, 'addr', 'del', addr, 'dev', 'eth0').catch(() => undefined);
}

/**
 * Pins the clients' IPv4 neighbours in a VIP VM (on eth0 and, once keepalived made it, vrrp.52).
 * An ARP-proxy VTEP drops every ARP reply it would send (dataplane.md finding 2), so va cannot
 * learn c2's MAC by ARP through o2; in a Linux-bridge deployment h1 would be a proxy agent too and
 * answer va's request from the controller's entry. The pin plays that answer, and is the same for
 * every strategy: it says nothing about how the clients reach the VIP, which is what is measured.
 */
export async function pinClientNeighbours(topology: VipTopology, vm: KeepalivedVm): Promise<void> {
  for (const dev of ['eth0', 'vrrp.52'])
    for (const client of ['c1', 'c2'] as const)
      await ipIn(
        topology.ns[vm],
        'neigh',
        'replace',
        VIP_VMS[client].ip4,
        'lladdr',
        VIP_VMS[client].mac,
        'dev',
        dev,
        'nud',
        'permanent',
      ).catch((err: Error) => {
        if (dev === 'eth0') throw err;
      });
}

/** Both BACKUP, priority 50, nopreempt, advert 1 s: the first started becomes master, as in the router bed. */
export function vipKeepalivedConfig(vm: KeepalivedVm, splitBrain = false): string {
  // Split brain: vb's instances take other router ids, so neither VM hears the other and both
  // become master; one announcement each (no repeat, no second burst), so exactly two claims.
  // Otherwise keepalived's defaults: a second burst 5 s after each transition.
  const vrid = (kind: VipKind) => VIPS[kind].vrid + (splitBrain && vm === 'vb' ? 10 : 0);
  const instance = (name: string, kind: VipKind, extra: string) => `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid(kind)}
  priority 50
  nopreempt
  advert_int 1${extra}
  virtual_ipaddress {
    ${VIPS[kind].ip4}/24
  }
  virtual_ipaddress_excluded {
    ${VIPS[kind].ip6}/64
  }
}
`;
  return `global_defs {
  router_id ${vm}
  vrrp_garp_master_repeat ${splitBrain ? 1 : 3}${splitBrain ? '\n  vrrp_garp_master_delay 0' : ''}
}
${instance('PLAIN', 'plain', '')}${instance('VMAC', 'vmac', '\n  use_vmac vrrp.52')}`;
}

export interface VmKeepalived {
  readonly vm: KeepalivedVm;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

export function startVmKeepalived(
  record: RunRecord,
  topology: VipTopology,
  vm: KeepalivedVm,
  splitBrain = false,
): VmKeepalived {
  const conf = path.join(record.dir, `ka-${vm}.conf`);
  writeFileSync(conf, vipKeepalivedConfig(vm, splitBrain));
  const log = openSync(path.join(record.dir, `ka-${vm}.log`), 'a');
  const pid = (kind: string) => path.join(record.dir, `ka-${vm}.${kind}.pid`);
  const child = spawn(
    'ip',
    [
      ...['netns', 'exec', topology.ns[vm], 'keepalived', '-f', conf, '-n', '-l', '-D', '--no-syslog', '-P'],
      ...['-p', pid('main'), '-r', pid('vrrp'), '-c', pid('chk')],
    ],
    { env: HARNESS_ENV, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  record.addProcess(child.pid, `keepalived ${vm}`, 'keepalived');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { vm, child, exited };
}

export async function stopVmKeepalived(k: VmKeepalived, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (k.child.exitCode !== null || k.child.signalCode !== null) return;
  k.child.kill(signal);
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
  if ((await Promise.race([k.exited, timer])) === 'timeout') {
    k.child.kill('SIGKILL');
    await k.exited;
  }
}

/** `[2026-11-25T02:40:01.744236] 3: eth0    inet6 2001:db8::100/64 ...`, or the same with `Deleted`. */
const ADDRESS_LINE =
  /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (?:\[[^\]]+\] )*(Deleted )?\d+: \S+\s+inet6? (\S+)\//;

/**
 * Every address change in a VM namespace (`ip -ts monitor address`): when keepalived really put a
 * VIP on the new master, VRRP's own switch time, independent of any notify script.
 */
export class AddressMonitor {
  readonly changes: { t: number; ip: string; added: boolean }[] = [];
  readonly #child: ChildProcess;

  constructor(record: RunRecord, ns: string, label: string) {
    this.#child = spawn('ip', ['-n', ns, '-ts', 'monitor', 'address'], {
      env: HARNESS_ENV,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    record.addProcess(this.#child.pid, `address monitor ${label}`, 'monitor');
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = ADDRESS_LINE.exec(line);
      // `ip -ts` prints local time without a zone; Date parses such a string as local time too.
      if (m) this.changes.push({ t: new Date(m[1] as string).getTime(), ip: m[3] as string, added: !m[2] });
    });
  }

  firstAddedAfter(ip: string, t: number): number | null {
    return this.changes.find((c) => c.ip === ip && c.added && c.t > t)?.t ?? null;
  }

  holds(ip: string): boolean {
    const last = this.changes.filter((c) => c.ip === ip).at(-1);
    return last?.added ?? false;
  }

  stop(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
  }
}

/** The VIP ports' pairs: all four VIPs, the vmac ones at the virtual MAC (as Neutron would store them). */
export const VIP_PAIRS = [
  { ipAddress: VIPS.plain.ip4 },
  { ipAddress: VIPS.plain.ip6 },
  { ipAddress: VIPS.vmac.ip4, macAddress: VIPS.vmac.vmac },
  { ipAddress: VIPS.vmac.ip6, macAddress: VIPS.vmac.vmac },
];

/** The flag first (as in the router bed), then one `port.upsert` per VM; va and vb carry the pairs. */
export function vipEvents(strategy: Strategy): QueuedEvent[] {
  const flags = { defaultStrategy: strategy, rollout: null, networks: {}, routers: {} };
  const ports = (Object.keys(VIP_VMS) as VipVm[]).map(
    (vm): QueuedEvent => ({
      queue: 'port',
      group: VIP_NETWORK.id,
      event: {
        type: 'port.upsert',
        v: 1,
        network: { ...VIP_NETWORK },
        port: {
          id: `port-${vm}`,
          networkId: VIP_NETWORK.id,
          mac: VIP_VMS[vm].mac,
          ips: [VIP_VMS[vm].ip4, VIP_VMS[vm].ip6],
          deviceOwner: 'compute:nova',
          deviceId: vm,
          host: VIP_VMS[vm].host,
          status: 'ACTIVE',
          dvrHosts: [],
          revision: 1,
          ...(vm === 'va' || vm === 'vb' ? { allowedAddressPairs: VIP_PAIRS } : {}),
        },
      },
    }),
  );
  return [{ queue: 'ha', group: 'flags', event: { type: 'flags.set', v: 1, flags, revision: 1 } }, ...ports];
}

/**
 * One agent per host: h1 and h2 (the VIP VMs' hosts) learn, and those in `claimHosts` watch their
 * VM's port for announcements (`--vip-ports`: the device and ids only, the pairs from the
 * controller); o1 learns; o2 is an ARP-proxy agent
 * without learning (Linux-bridge style), which resolves only what the controller programs.
 */
export function vipAgentSpecs(record: RunRecord, claimHosts: readonly VipHost[]): PlacedAgentSpec[] {
  return HOST_IDS.map((host) => {
    const vm = VIP_HOSTS[host].vm;
    const watch = claimHosts.includes(host);
    const extraArgs: string[] = [];
    if (watch) {
      const file = path.join(record.dir, `vip-ports-${host}.json`);
      // Only the device's ids: the port's MAC, fixed IPs and pairs come from the controller's
      // commands (`localPorts`, docs/vip.md "The agent's claim watcher").
      writeFileSync(
        file,
        JSON.stringify([{ dev: `tap-${vm}`, networkId: VIP_NETWORK.id, portId: `port-${vm}` }]),
      );
      extraArgs.push('--vip-ports', file);
    }
    const proxy = host === 'o2';
    return {
      host,
      tunnelIp: VIP_HOSTS[host].underlayIp,
      learning: !proxy,
      arp: proxy ? 'proxy' : 'off',
      extraArgs,
    };
  });
}

export const VIP_HOST_IDS = HOST_IDS;
