import { type KernelOp, withBridgeForget } from './kernel-ops.js';
import { FLOODING_MAC } from './kernel-values.js';
import type { FdbEntry } from './parse-agent-command.js';
import type { DeviceState } from './read-device-state.js';

/**
 * The operations that make a device hold exactly `desired`: extras removed first, then what is
 * missing added. A MAC that only changes VTEP gets one `replace` (never a moment unknown), and
 * ARP entries exist only with `proxy` (without it, every permanent neighbour is an extra).
 */
export function planSnapshotOps(
  dev: string,
  proxy: boolean,
  desired: readonly FdbEntry[],
  actual: DeviceState,
  bridged = false,
): KernelOp[] {
  const flood = new Set<string>();
  const unicast = new Map<string, string>();
  const neigh = new Map<string, string>();
  for (const e of desired) {
    if (e.mac === FLOODING_MAC) flood.add(e.vtep);
    else {
      unicast.set(e.mac, e.vtep);
      if (proxy) neigh.set(e.ip, e.mac);
    }
  }
  const removals: KernelOp[] = [];
  const additions: KernelOp[] = [];
  for (const vtep of [...actual.flood].sort())
    if (!flood.has(vtep)) removals.push({ op: 'flood-del', dev, vtep });
  for (const vtep of [...flood].sort())
    if (!actual.flood.has(vtep)) additions.push({ op: 'flood-append', dev, vtep });
  for (const [mac, dsts] of [...actual.unicast].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const want = unicast.get(mac);
    // Keep one destination to `replace`; drop extra ones (a MAC appended to several VTEPs).
    const keep = want === undefined ? undefined : dsts.has(want) ? want : [...dsts].sort()[0];
    for (const vtep of [...dsts].sort()) if (vtep !== keep) removals.push({ op: 'fdb-del', dev, mac, vtep });
  }
  for (const [mac, vtep] of [...unicast].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dsts = actual.unicast.get(mac);
    if (dsts?.size !== 1 || !dsts.has(vtep)) additions.push({ op: 'fdb-replace', dev, mac, vtep });
  }
  for (const [ip, mac] of [...actual.neigh].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!neigh.has(ip)) removals.push({ op: 'neigh-del', dev, ip, mac });
  }
  for (const [ip, mac] of [...neigh].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (actual.neigh.get(ip) !== mac) additions.push({ op: 'neigh-replace', dev, ip, mac });
  }
  const gone = removals.filter((op) => op.op !== 'fdb-del' || !unicast.has(op.mac));
  const moved = removals.filter((op) => op.op === 'fdb-del' && unicast.has(op.mac));
  return [...(bridged ? withBridgeForget(gone) : gone), ...moved, ...additions];
}
