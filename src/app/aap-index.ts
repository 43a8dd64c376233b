import { holdsFixedIps, pairsOf } from '../core/aap.js';
import { InvalidInputError } from '../core/errors.js';
import type { Port } from '../core/types.js';

/**
 * The two per-network indexes that enforce the overlap rule (`aap_overlaps_fixed_ip`,
 * src/core/aap.ts) on the steady-state path, for **bare-address pairs** (a /32 or /128) only
 * (docs/vip.md, "Overlap with another port's fixed IP"):
 *
 * - `held:<ip>`: an owner item (like `ip:<ip>`) that exists while a *bound* port holds the fixed
 *   IP; unbound ports (the reservation pattern) write none. A bare pair `x` reads `held:x`.
 * - the pair holders of `<ip>`: the ports whose bare pair is that address (several by design). A
 *   bound port's fixed IP `y` reads the holders of `y`.
 *
 * Both are read in the port event's one BatchGetItem and written in its commit; every port commit
 * of a network is guarded on the network's `seq`, so two events of one network cannot both pass
 * on the same stale read. Pairs wider than a host address are not indexed and not checked here.
 */
export const heldKey = (ip: string): string => `held:${ip}`;

/** The bare-address pairs of a port (canonical: a /32 or /128 is written as the bare address). */
export function barePairs(port: Port | undefined): string[] {
  return port ? [...new Set(pairsOf(port).map((p) => p.ipAddress))].filter((ip) => !ip.includes('/')) : [];
}

/** The fixed IPs a port holds in the data plane: all of them when bound, none otherwise. */
export function heldIps(port: Port | undefined): string[] {
  return port && holdsFixedIps(port) ? [...new Set(port.ips)] : [];
}

/** The index keys an upsert of `next` must read: `held:` of its bare pairs, holders of its fixed IPs. */
export function pairIndexReads(next: Port): { readonly held: string[]; readonly holders: string[] } {
  return { held: barePairs(next).map(heldKey), holders: [...new Set(next.ips)] };
}

/** Refuses `after` when a bare pair covers another bound port's fixed IP, or the reverse. */
export function checkPairIndex(
  after: Port,
  heldOwner: (ip: string) => string | undefined,
  holders: (ip: string) => readonly string[],
): void {
  const refuse = (aapPort: string, fixedPort: string, ip: string) => {
    throw new InvalidInputError(
      'aap_overlaps_fixed_ip',
      `allowed-address pair ${ip} of port ${aapPort} covers fixed IP ${ip} of port ${fixedPort} in network ${after.networkId}`,
      { portId: after.id, aapPort, fixedPort, ip },
    );
  };
  for (const ip of barePairs(after)) {
    const owner = heldOwner(ip);
    if (owner !== undefined && owner !== after.id) refuse(after.id, owner, ip);
  }
  for (const ip of heldIps(after)) {
    const other = holders(ip).find((id) => id !== after.id);
    if (other !== undefined) refuse(other, after.id, ip);
  }
}

/** One change of the pair-holder index: `portId` starts (`holds`) or stops holding a bare pair `ip`. */
export interface PairHolderWrite {
  readonly networkId: string;
  readonly ip: string;
  readonly portId: string;
  readonly holds: boolean;
}

/** What a port's change writes to both indexes; only what changes, so a steady port writes nothing. */
export function pairIndexWrites(
  id: string,
  networkId: string,
  before: Port | undefined,
  after: Port | undefined,
): { readonly held: { key: string; owner: string | null }[]; readonly holders: PairHolderWrite[] } {
  const diff = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  const [heldBefore, heldAfter] = [heldIps(before), heldIps(after)];
  const [pairsBefore, pairsAfter] = [barePairs(before), barePairs(after)];
  return {
    held: [
      ...diff(heldAfter, heldBefore).map((ip) => ({ key: heldKey(ip), owner: id })),
      ...diff(heldBefore, heldAfter).map((ip) => ({ key: heldKey(ip), owner: null })),
    ],
    holders: [
      ...diff(pairsAfter, pairsBefore).map((ip) => ({ networkId, ip, portId: id, holds: true })),
      ...diff(pairsBefore, pairsAfter).map((ip) => ({ networkId, ip, portId: id, holds: false })),
    ],
  };
}
