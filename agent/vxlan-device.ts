import { z } from 'zod';
import { ipSchema } from '../src/contracts/primitives.js';
import { KernelCommandError } from './agent-error.js';
import type { KernelExecutor } from './kernel-executor.js';
import { assertDeviceName, bridgeDeviceName, vxlanDeviceName } from './kernel-values.js';

/** How this agent builds a segment's VXLAN device (from its configuration, never from a command). */
export interface DeviceSettings {
  readonly tunnelIp: string;
  /** vxlan `learning`: learn remote MACs from received frames. */
  readonly learning: boolean;
  /** vxlan `proxy`: answer ARP/ND from the device's neighbour table (kernel ARP suppression). */
  readonly proxy: boolean;
  readonly dstport: number;
  readonly mtu: number;
  /** Enslave `vx-<vni>` to `<prefix><vni>`, creating that Linux bridge if missing; null: no bridge. */
  readonly bridgePrefix: string | null;
}

const linkSchema = z.object({
  ifname: z.string(),
  master: z.string().optional(),
  flags: z.array(z.string()).default([]),
  linkinfo: z
    .object({
      info_kind: z.string(),
      info_data: z
        .object({
          id: z.number().optional(),
          local: z.string().optional(),
          /** iproute2 reports an IPv6 local address under this key instead of `local`. */
          local6: z.string().optional(),
          port: z.number().optional(),
          learning: z.boolean().optional(),
          proxy: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
});
type Link = z.infer<typeof linkSchema>;

/** Whether iproute2's spelling of an address names `canonical` (they differ for IPv4-mapped IPv6). */
function sameAddress(printed: string | undefined, canonical: string): boolean {
  return printed !== undefined && ipSchema.safeParse(printed).data === canonical;
}

async function showLink(executor: KernelExecutor, dev: string): Promise<Link | null> {
  try {
    const out = await executor.run('ip', ['-j', '-d', 'link', 'show', 'dev', assertDeviceName(dev)]);
    const links = z.array(linkSchema).parse(JSON.parse(out));
    return links[0] ?? null;
  } catch (err) {
    if (err instanceof KernelCommandError && err.isMissing) return null;
    throw err;
  }
}

async function ensureBridge(executor: KernelExecutor, name: string): Promise<void> {
  if (await showLink(executor, name)) return;
  try {
    await executor.run('ip', ['link', 'add', name, 'type', 'bridge', 'mcast_snooping', '0']);
  } catch (err) {
    // Another process (or the topology) created it between show and add.
    if (!(err instanceof KernelCommandError && /exists/i.test(err.stderr))) throw err;
  }
  await executor.run('ip', ['link', 'set', name, 'up']);
}

/** Creates the device; false when one of that name already exists. */
async function tryCreateVxlan(
  executor: KernelExecutor,
  dev: string,
  vni: number,
  s: DeviceSettings,
): Promise<boolean> {
  try {
    await createVxlan(executor, dev, vni, s);
    return true;
  } catch (err) {
    if (err instanceof KernelCommandError && /exists/i.test(err.stderr)) return false;
    throw err;
  }
}

async function createVxlan(
  executor: KernelExecutor,
  dev: string,
  vni: number,
  s: DeviceSettings,
): Promise<void> {
  await executor.run('ip', [
    'link',
    'add',
    dev,
    'type',
    'vxlan',
    'id',
    String(vni),
    'dstport',
    String(s.dstport),
    'local',
    s.tunnelIp,
    s.learning ? 'learning' : 'nolearning',
    ...(s.proxy ? ['proxy'] : []),
    'ttl',
    '64',
  ]);
}

export interface PreparedDevice {
  readonly dev: string;
  /** Created just now: it holds no entries, so a snapshot need not read it back. */
  readonly created: boolean;
  /**
   * The `ip link set ... master BR up` still to run, or null when the device is already in
   * service. Run it after the device's entries are written: a device that forwards before it holds
   * its ARP entries drops the first ARP request it must answer (kernel `proxy` drops requests it
   * cannot answer), and the asker only retries after `retrans_time` (1 s). Measured: the new
   * master's first ARP request for the VM was lost this way and master-binding failover took ~1 s
   * longer. Entries written to a down device survive bringing it up (checked on 6.18).
   */
  readonly activate: readonly string[] | null;
}

/**
 * Makes sure the segment's device exists with this agent's settings. `learning` can be changed in
 * place; a different VNI, local address, port or `proxy` flag means recreating the device (the
 * kernel cannot change `proxy` on a live device, dataplane.md).
 */
export async function prepareVxlanDevice(
  executor: KernelExecutor,
  vni: number,
  s: DeviceSettings,
): Promise<PreparedDevice> {
  const dev = vxlanDeviceName(vni);
  const bridge = s.bridgePrefix === null ? null : bridgeDeviceName(s.bridgePrefix, vni);
  const activate = [
    'link',
    'set',
    'dev',
    dev,
    'mtu',
    String(s.mtu),
    ...(bridge ? ['master', bridge] : []),
    'up',
  ];
  // On the failover path the device is usually new (a host joining the network), so try to create
  // it first, side by side with the bridge check: one process round-trip instead of two.
  const [created] = await Promise.all([
    tryCreateVxlan(executor, dev, vni, s),
    bridge ? ensureBridge(executor, bridge) : undefined,
  ]);
  if (created) return { dev, created: true, activate };
  let link = await showLink(executor, dev);
  const data = link?.linkinfo?.info_data;
  const stale =
    link?.linkinfo?.info_kind !== 'vxlan' ||
    data?.id !== vni ||
    !sameAddress(data.local ?? data.local6, s.tunnelIp) ||
    data.port !== s.dstport ||
    (data.proxy ?? false) !== s.proxy;
  if (link && stale) {
    await executor.run('ip', ['link', 'del', dev]);
    link = null;
  }
  if (!link) await createVxlan(executor, dev, vni, s);
  else if ((data?.learning ?? false) !== s.learning) {
    await executor.run('ip', [
      'link',
      'set',
      'dev',
      dev,
      'type',
      'vxlan',
      s.learning ? 'learning' : 'nolearning',
    ]);
  }
  const inService = link !== null && link.master === (bridge ?? undefined) && link.flags.includes('UP');
  return { dev, created: link === null, activate: inService ? null : activate };
}

/** Drops a segment's device and with it every FDB and ARP entry on it. The bridge stays (it may hold ports). */
export async function deleteVxlanDevice(executor: KernelExecutor, vni: number): Promise<void> {
  try {
    await executor.run('ip', ['link', 'del', vxlanDeviceName(vni)]);
  } catch (err) {
    if (!(err instanceof KernelCommandError && err.isMissing)) throw err;
  }
}
