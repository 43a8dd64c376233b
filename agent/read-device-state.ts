import { z } from 'zod';
import { ipSchema } from '../src/contracts/primitives.js';
import type { KernelExecutor } from './kernel-executor.js';
import { assertDeviceName, FLOODING_MAC } from './kernel-values.js';

/** The l2pop-managed part of a VXLAN device, as the kernel reports it. */
export interface DeviceState {
  /** VTEPs the all-zero MAC floods to. */
  readonly flood: ReadonlySet<string>;
  /** Permanent unicast MAC -> its destinations (normally one). */
  readonly unicast: ReadonlyMap<string, ReadonlySet<string>>;
  /** Permanent ARP/ND entries: IP -> MAC. */
  readonly neigh: ReadonlyMap<string, string>;
}

const fdbRowSchema = z.object({
  mac: z.string(),
  dst: z.string().optional(),
  master: z.string().optional(),
  flags: z.array(z.string()).default([]),
  state: z.string().optional(),
});

const neighRowSchema = z.object({
  dst: z.string(),
  lladdr: z.string().optional(),
  state: z.array(z.string()).default([]),
});

/**
 * Reads what the agent owns on a device: `self permanent` FDB entries with a destination (the
 * bridge's own `master` entries and learned entries are not l2pop's) and PERMANENT neighbours.
 */
export async function readDeviceState(executor: KernelExecutor, dev: string): Promise<DeviceState> {
  const name = assertDeviceName(dev);
  const [fdbOut, neighOut] = await Promise.all([
    executor.run('bridge', ['-j', 'fdb', 'show', 'dev', name]),
    executor.run('ip', ['-j', 'neigh', 'show', 'dev', name]),
  ]);
  return parseDeviceState(fdbOut, neighOut);
}

/**
 * An address as iproute2 prints it, in the controller's canonical form (`ipSchema`). The two differ
 * for IPv4-mapped and IPv4-compatible IPv6 addresses: iproute2 (glibc's `inet_ntop`) prints
 * `::ffff:10.0.0.5`, the contracts `::ffff:a00:5`. Compared unconverted, the agent would remove and
 * re-add such an entry on every snapshot and its audit would report drift for it. A value that is
 * not an address stays as printed (it then matches nothing the controller sends).
 */
function canonicalAddress(printed: string): string {
  const parsed = ipSchema.safeParse(printed);
  return parsed.success ? parsed.data : printed;
}

/** Parses `bridge -j fdb show` and `ip -j neigh show` output (exported for tests). */
export function parseDeviceState(fdbJson: string, neighJson: string): DeviceState {
  const flood = new Set<string>();
  const unicast = new Map<string, Set<string>>();
  const neigh = new Map<string, string>();
  for (const row of z.array(fdbRowSchema).parse(JSON.parse(fdbJson || '[]'))) {
    if (!row.dst || row.master || !row.flags.includes('self') || row.state !== 'permanent') continue;
    const mac = row.mac.toLowerCase();
    const dst = canonicalAddress(row.dst);
    if (mac === FLOODING_MAC) flood.add(dst);
    else {
      let set = unicast.get(mac);
      if (!set) unicast.set(mac, (set = new Set()));
      set.add(dst);
    }
  }
  for (const row of z.array(neighRowSchema).parse(JSON.parse(neighJson || '[]'))) {
    if (row.lladdr && row.state.includes('PERMANENT'))
      neigh.set(canonicalAddress(row.dst), row.lladdr.toLowerCase());
  }
  return { flood, unicast, neigh };
}
