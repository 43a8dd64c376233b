import { holdsFixedIps, pairCovers, pairsOf } from './aap.js';
import type { Port } from './types.js';
import { checkVipClaim, type VipClaim } from './vip.js';
import type { VipRecord } from './vip-view.js';

/**
 * A binding is tied to its port (docs/vip.md, "A binding is tied to its port"): a VIP's owner keeps
 * it only while its claim would still be accepted against its port as the port now is, and a
 * holder (a port whose claim was accepted, the hosts `auto` considers) stays one only while its
 * port may still announce the VIP from the host it claimed from. Pure.
 */

/**
 * Whether a claim accepted earlier still stands against `port` (undefined: deleted): the port is in
 * the claim's network, bound to the claim's host, has a pair covering the VIP with the claimed MAC
 * (the pair's or the port's own), and the VIP is not one of its fixed IPs: `checkVipClaim` without
 * the clock. So deleting the port, unbinding it, moving it to another host, dropping the pair, or
 * changing the MAC the claim was made with withdraws it.
 */
export function vipClaimStands(
  port: Port | undefined,
  claim: Pick<VipClaim, 'networkId' | 'ip' | 'host' | 'portId' | 'mac'>,
): boolean {
  if (!port || port.id !== claim.portId) return false;
  const c = { ...claim, kind: 'garp' as const, at: 0, seq: 0 };
  return checkVipClaim(port, c, Number.POSITIVE_INFINITY) === null && !port.ips.includes(claim.ip);
}

/**
 * What a port's new value (undefined: deleted) does to one VIP record: the port leaves the holders
 * when it may no longer announce the VIP from the host it claimed from (with its own MAC, which
 * every covering pair allows), and, when it is the owner whose claim no longer stands, the VIP
 * loses its owner: no binding, moves counted afresh and any freeze lifted, as an operator release
 * does; `newest` is kept, so a late claim is still stale. Null: the record does not change (the
 * port is neither owner nor holder, or keeps its right).
 */
export function unbindVip(record: VipRecord, portId: string, port: Port | undefined): VipRecord | null {
  const { owner } = record.state;
  const host = record.holders[portId];
  const holderStays =
    host === undefined ||
    vipClaimStands(port, {
      networkId: record.networkId,
      ip: record.ip,
      host,
      portId,
      mac: port?.mac ?? '',
    });
  const ownerStays = owner?.portId !== portId || vipClaimStands(port, owner);
  if (holderStays && ownerStays) return null;
  const holders = holderStays
    ? record.holders
    : Object.fromEntries(Object.entries(record.holders).filter(([id]) => id !== portId));
  const state = ownerStays ? record.state : { ...record.state, owner: null, moves: [], frozen: null };
  return { ...record, state, holders, version: record.version + 1 };
}

/** What a port may announce for `ip`: its host and the MACs it may use; null when nothing. */
function rightOf(port: Port | undefined, ip: string): { host: string; macs: Set<string> } | null {
  if (!port || port.host === '' || port.ips.includes(ip)) return null;
  const covering = pairsOf(port).filter((p) => pairCovers(p, ip));
  if (covering.length === 0) return null;
  return { host: port.host, macs: new Set([port.mac, ...covering.map((p) => p.macAddress)]) };
}

/** Whether going from `before` to `after` takes away some right `before` gave for `ip`. */
export function vipRightLost(before: Port | undefined, after: Port | undefined, ip: string): boolean {
  const was = rightOf(before, ip);
  if (!was) return false;
  const now = rightOf(after, ip);
  return !now || now.host !== was.host || [...was.macs].some((m) => !now.macs.has(m));
}

/**
 * The VIPs a port change may unbind, so the port events read or check only those
 * (src/app/vip-unbinding.ts): the addresses whose right is lost among the bare-address pairs of
 * `before` and its new fixed IPs that a pair covered (their records are keyed by the address),
 * and whether a wider pair of `before` may lose one elsewhere (the port deleted, moved, its MAC or
 * pairs changed), whose VIPs can only be found by listing the network's.
 */
export function vipsAtRisk(
  before: Port | undefined,
  after: Port | undefined,
): { readonly addresses: readonly string[]; readonly prefixes: boolean } {
  const pairs = before ? pairsOf(before) : [];
  const bare = [...new Set(pairs.map((p) => p.ipAddress).filter((ip) => !ip.includes('/')))].sort();
  const wide = pairs.filter((p) => p.ipAddress.includes('/'));
  const newFixed = (after?.ips ?? []).filter((ip) => !before?.ips.includes(ip));
  const candidates = [...new Set([...bare, ...newFixed])].sort();
  const sameRights = (a: Port, b: Port) =>
    a.host === b.host && a.mac === b.mac && JSON.stringify(pairsOf(a)) === JSON.stringify(pairsOf(b));
  return {
    addresses: candidates.filter((ip) => vipRightLost(before, after, ip)),
    prefixes: wide.length > 0 && !(before && after && sameRights(before, after)),
  };
}

/**
 * What a port taking `record`'s address as a held fixed IP (bound, the address among its fixed IPs)
 * does to the VIP (docs/vip.md, "Overlap with another port's fixed IP"): another port's binding
 * is withdrawn, as `unbindVip` does when the owner's claim no longer stands, and no other port
 * stays a holder, since a claim of an address another port holds is refused
 * (`aap_overlaps_fixed_ip`). Null: nothing to withdraw.
 */
export function withdrawHeldVip(record: VipRecord, holderId: string): VipRecord | null {
  const others = Object.keys(record.holders).filter((id) => id !== holderId);
  const owner = record.state.owner;
  if (others.length === 0 && (owner === null || owner.portId === holderId)) return null;
  const holders = Object.fromEntries(Object.entries(record.holders).filter(([id]) => id === holderId));
  const state =
    owner === null || owner.portId === holderId
      ? record.state
      : { ...record.state, owner: null, moves: [], frozen: null };
  return { ...record, state, holders, version: record.version + 1 };
}

/** The fixed IPs `after` holds that `before` did not: a VIP binding of another port there is withdrawn. */
export function newlyHeldIps(before: Port | undefined, after: Port | undefined): string[] {
  const held = (p: Port | undefined) => (p && holdsFixedIps(p) ? p.ips : []);
  const old = new Set(held(before));
  return [...new Set(held(after))].filter((ip) => !old.has(ip)).sort();
}
