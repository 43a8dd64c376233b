import type { AllowedAddressPair, Port } from './types.js';

/**
 * What an agent is told about a VM port bound to its host (`binding:host_id`; `isLocalPort`):
 * what Neutron's agent reads from the server with `get_device_details` for a local device. The
 * reference agent's claim watcher checks announcements against it (docs/vip.md, "The agent's
 * claim watcher"). Not a data-plane entry: no FDB table and no drift-audit digest includes it.
 *
 * No revision: a port event that changes none of these (a re-save, a status or name change) must
 * send nothing, as Neutron's l2pop sends nothing (conformance vector S25), so a revision here would
 * be stale at the agent; the network's version orders the records instead.
 */
export interface LocalPort {
  readonly id: string;
  readonly mac: string;
  /** Canonical, in Neutron's `fixed_ips` order. */
  readonly ips: readonly string[];
  /** Canonical, the MAC defaulted to the port's own (as the port fact holds them); empty: none. */
  readonly allowedAddressPairs: readonly AllowedAddressPair[];
}

/** The local-port changes of one host in one version: records to take and port ids to drop. */
export interface LocalPortsDelta {
  /** Sorted by id. */
  readonly upsert: readonly LocalPort[];
  /** Sorted. */
  readonly remove: readonly string[];
}

export const EMPTY_LOCAL_DELTA: LocalPortsDelta = { upsert: [], remove: [] };

export function isEmptyLocalDelta(d: LocalPortsDelta | undefined): boolean {
  return d === undefined || (d.upsert.length === 0 && d.remove.length === 0);
}

/**
 * Whether the port is one the host's agent is told about: an ACTIVE port bound to it whose device
 * is a VM's or an appliance's (any owner but Neutron's own `network:*`: router, HA, DVR, DHCP and
 * floating-IP ports are plugged by Neutron's agents and never watched for VIP claims).
 * - ACTIVE only: Neutron sets it once the L2 agent wired the device, so a DOWN port's VM reaches
 *   no one yet; leaving such ports out keeps the port events of a boot (bound DOWN, then ACTIVE)
 *   at one version, and a change of a DOWN port sends nothing, as before (deviation D2).
 * - No `network:*` port: an HA router's interface and gateway are rebound on every failover
 *   (Neutron moves them to the new master), which would otherwise be a version of its own
 *   (deviation D5: the rebind changes no agent).
 * A claim from a port the agent has no record of is forwarded unchecked, and the controller
 * decides (docs/vip.md, "The agent's claim watcher").
 */
export function isLocalPort(port: Port): boolean {
  return port.host !== '' && port.status === 'ACTIVE' && !port.deviceOwner.startsWith('network:');
}

/** The record of a port its host's agent is told about (`isLocalPort`), with that host; else null. */
export function localPortOf(port: Port | undefined): { host: string; record: LocalPort } | null {
  if (!port || !isLocalPort(port)) return null;
  return {
    host: port.host,
    record: {
      id: port.id,
      mac: port.mac,
      ips: [...port.ips],
      allowedAddressPairs: (port.allowedAddressPairs ?? []).map((p) => ({
        ipAddress: p.ipAddress,
        macAddress: p.macAddress,
      })),
    },
  };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Every local port (`isLocalPort`) of `ports` bound to `host`, as records sorted by id: what a snapshot carries. */
export function computeLocalPorts(ports: readonly Port[], host: string): LocalPort[] {
  const out: LocalPort[] = [];
  for (const p of ports) {
    const local = localPortOf(p);
    if (local?.host === host) out.push(local.record);
  }
  return out.sort(byId);
}

function sameRecord(a: LocalPort, b: LocalPort): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The local-port changes per host of a batch of port changes (first before, last after per
 * port): a port that leaves a host (deleted, unbound, migrated, no longer ACTIVE) is removed
 * there; a port whose record moved (mac, fixed IPs, pairs, a new binding, ACTIVE again) is
 * upserted at its host. O(changes).
 */
export function planLocalPortChanges(
  changes: readonly { readonly before: Port | undefined; readonly after: Port | undefined }[],
): Map<string, LocalPortsDelta> {
  const upsert = new Map<string, LocalPort[]>();
  const remove = new Map<string, string[]>();
  for (const c of changes) {
    const b = localPortOf(c.before);
    const a = localPortOf(c.after);
    if (b && b.host !== a?.host)
      (remove.get(b.host) ?? remove.set(b.host, []).get(b.host))?.push(b.record.id);
    if (a && !(b && b.host === a.host && sameRecord(b.record, a.record)))
      (upsert.get(a.host) ?? upsert.set(a.host, []).get(a.host))?.push(a.record);
  }
  const out = new Map<string, LocalPortsDelta>();
  for (const host of [...new Set([...upsert.keys(), ...remove.keys()])].sort())
    out.set(host, { upsert: (upsert.get(host) ?? []).sort(byId), remove: (remove.get(host) ?? []).sort() });
  return out;
}

/** The change that takes `before` to `after` (both sorted by id). */
export function computeLocalPortsDelta(
  before: readonly LocalPort[],
  after: readonly LocalPort[],
): LocalPortsDelta {
  const was = new Map(before.map((p) => [p.id, p]));
  const now = new Set(after.map((p) => p.id));
  return {
    upsert: after.filter((p) => {
      const old = was.get(p.id);
      return !old || !sameRecord(old, p);
    }),
    remove: before
      .filter((p) => !now.has(p.id))
      .map((p) => p.id)
      .sort(),
  };
}

/** `held` with `delta` applied, sorted by id. */
export function applyLocalPortsDelta(held: readonly LocalPort[], delta: LocalPortsDelta): LocalPort[] {
  const out = new Map(held.map((p) => [p.id, p]));
  for (const id of delta.remove) out.delete(id);
  for (const p of delta.upsert) out.set(p.id, p);
  return [...out.values()].sort(byId);
}

/**
 * How much of a snapshot part's budget (`SNAPSHOT_ENTRIES_PER_PART`, in `[mac, ip]` entries of
 * ~60 bytes) a record takes: its id and MAC ~2 entries, each IP one, each pair (an address and a
 * MAC, with keys) two.
 */
export function localPortWeight(p: LocalPort): number {
  return 2 + p.ips.length + 2 * p.allowedAddressPairs.length;
}
