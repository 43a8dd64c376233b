import { holdsFixedIps, pairsOf } from '../core/aap.js';
import {
  addressHex,
  formatPrefix,
  type Prefix,
  parsePrefix,
  prefixContains,
  prefixHexRange,
} from '../core/cidr.js';
import type { Port } from '../core/types.js';

/** The range read `storedHeldIn` needs (`FactStore.firstOwnerBetween`). */
export interface OwnerRange {
  firstOwnerBetween(
    networkId: string,
    from: string,
    to: string,
    excluding: readonly string[],
  ): Promise<{ readonly key: string; readonly owner: string } | undefined>;
}

/**
 * The per-network indexes through which the port events find overlaps (`aap_overlaps_fixed_ip`,
 * src/core/aap.ts) and report them, and the claims refuse a held address (docs/vip.md, "Overlap
 * with another port's fixed IP"):
 *
 * - `heldx:<4|6>:<hex>` (`heldKey`): an owner item (like `ip:<ip>`) that exists while a *bound*
 *   port holds the fixed IP; unbound ports (the reservation pattern) write none. Its key sorts
 *   like the address (fixed-width hex), so a bare pair `x` reads the one key of `x` and a prefix
 *   pair the key range of its addresses (`FactStore.firstOwnerBetween`). One item per held IP:
 *   a coalesced commit's items grow by one per fixed IP, not two.
 * - the pair holders of `<ip>`: the ports whose bare pair is that address (several by design). A
 *   bound port's fixed IP `y` reads the holders of `y`.
 * - the network's prefix pairs: every pair wider than one address, with the ports that carry it.
 *   A bound port reads the list and checks its fixed IPs against each prefix.
 *
 * All but the range are read in the port event's one BatchGetItem; the range is queried only for
 * a prefix pair the port did not carry before (nor inside one it did). All are written in the
 * event's commit. Only port events of the network write them, and the network's FIFO group
 * serialises those, so what one event reads is what the previous one committed; every port commit
 * also writes the network state guarded on its `seq`, so two events of one network cannot both
 * pass on the same read.
 */
const HELD_RANGE = 'heldx:';

/**
 * The held-IP owner key of an address: sortable like the address for a canonical one (every fixed
 * IP the contracts accept is); `held:<ip>` for anything else, which no range reaches.
 */
export function heldKey(ip: string): string {
  const a = addressHex(ip);
  return a ? `${HELD_RANGE}${a.family}:${a.hex}` : `held:${ip}`;
}

/** The first and last sortable held key inside a canonical prefix. */
export function heldRangeOf(cidr: string): { readonly from: string; readonly to: string } | null {
  const p = parsePrefix(cidr);
  if (!p) return null;
  const { first, last } = prefixHexRange(p);
  return { from: `${HELD_RANGE}${p.family}:${first}`, to: `${HELD_RANGE}${p.family}:${last}` };
}

/** The bare-address pairs of a port (canonical: a /32 or /128 is written as the bare address). */
export function barePairs(port: Port | undefined): string[] {
  return port ? [...new Set(pairsOf(port).map((p) => p.ipAddress))].filter((ip) => !ip.includes('/')) : [];
}

/** The prefix pairs of a port: wider than one address (canonical: only those carry a `/`). */
export function prefixPairs(port: Port | undefined): string[] {
  return port ? [...new Set(pairsOf(port).map((p) => p.ipAddress))].filter((ip) => ip.includes('/')) : [];
}

/** True when prefix `inner` lies inside prefix `outer` (same family, at least as long). */
function prefixWithin(inner: string, outer: string): boolean {
  const [a, b] = [parsePrefix(inner), parsePrefix(outer)];
  if (!a || !b || a.family !== b.family || a.length < b.length) return false;
  return prefixContains(b, formatFirst(a));
}

/** The prefix's network address, canonical. */
function formatFirst(p: Prefix): string {
  return formatPrefix({ family: p.family, base: p.base, length: p.family === 4 ? 32 : 128 });
}

/**
 * The prefix pairs of `after` that are new: not carried by `before` and not inside one it
 * carried. Only those need the range read: an overlap under a prefix the port already carried was
 * reported when it arose, by the event that added the prefix or the one that bound the fixed IP
 * (which reads the network's prefix pairs).
 */
export function newPrefixPairs(before: Port | undefined, after: Port | undefined): string[] {
  const old = prefixPairs(before);
  return prefixPairs(after).filter((cidr) => !old.some((o) => prefixWithin(cidr, o)));
}

/** The fixed IPs a port holds in the data plane: all of them when bound, none otherwise. */
export function heldIps(port: Port | undefined): string[] {
  return port && holdsFixedIps(port) ? [...new Set(port.ips)] : [];
}

/**
 * The index keys an upsert of `next` must read: the held keys of its bare pairs, holders of its fixed
 * IPs, and (`prefixes`) the network's prefix pairs when it is bound.
 */
export function pairIndexReads(next: Port): {
  readonly held: string[];
  readonly holders: string[];
  readonly prefixes: boolean;
} {
  return {
    held: barePairs(next).map(heldKey),
    holders: [...new Set(next.ips)],
    prefixes: holdsFixedIps(next),
  };
}

/** A prefix pair of the network and one port that carries it. */
export interface PrefixPair {
  readonly cidr: string;
  readonly portId: string;
}

/** A list of prefix pairs in the order the stores return it: by prefix, then port. */
export function sortPrefixPairs(pairs: PrefixPair[]): PrefixPair[] {
  const k = (p: PrefixPair) => `${p.cidr}\u0000${p.portId}`;
  return pairs.sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/** Another port's held fixed IP found inside a prefix. */
export interface HeldIn {
  readonly ip: string;
  readonly owner: string;
}

/** What `findPairIndexOverlaps` looks up, from the store's read or a coalesced group's overlay. */
export interface PairIndexView {
  readonly heldOwner: (ip: string) => string | undefined;
  readonly holders: (ip: string) => readonly string[];
  /** The network's prefix pairs (read when the port is bound; empty otherwise). */
  readonly prefixes: Iterable<PrefixPair>;
  /** A fixed IP another bound port holds inside `cidr`, or undefined (none, or not looked up). */
  readonly heldIn: (cidr: string) => HeldIn | undefined;
}

/**
 * A pair of `aapPort` that covers fixed IP `ip` of bound port `fixedPort` (`aap_overlaps_fixed_ip`):
 * reported, never refused (docs/vip.md, "Overlap with another port's fixed IP").
 */
export interface AapOverlap {
  readonly aapPort: string;
  readonly pair: string;
  readonly fixedPort: string;
  readonly ip: string;
}

/**
 * The overlaps the change from `before` to `after` brings, as the indexes show them: its bare pairs
 * `before` did not carry over another bound port's fixed IP, each new prefix pair `heldIn` looked up
 * (the first held IP in it), and each fixed IP it starts to hold under another port's bare or prefix
 * pair. An overlap that stands is reported once, by the event that brought it (a port event of a
 * network with a `0.0.0.0/0` pair does not repeat it); `network.rebuild` reports them all. The port
 * is recorded all the same.
 */
export function findPairIndexOverlaps(
  before: Port | undefined,
  after: Port,
  view: PairIndexView,
): AapOverlap[] {
  const out: AapOverlap[] = [];
  const oldPairs = new Set(barePairs(before));
  for (const ip of barePairs(after).filter((x) => !oldPairs.has(x))) {
    const owner = view.heldOwner(ip);
    if (owner !== undefined && owner !== after.id)
      out.push({ aapPort: after.id, pair: ip, fixedPort: owner, ip });
  }
  for (const cidr of newPrefixPairs(before, after)) {
    const found = view.heldIn(cidr);
    if (found && found.owner !== after.id)
      out.push({ aapPort: after.id, pair: cidr, fixedPort: found.owner, ip: found.ip });
  }
  const oldHeld = new Set(heldIps(before));
  const held = heldIps(after).filter((x) => !oldHeld.has(x));
  for (const ip of held)
    for (const other of view.holders(ip))
      if (other !== after.id) out.push({ aapPort: other, pair: ip, fixedPort: after.id, ip });
  if (held.length === 0) return out;
  for (const { cidr, portId } of view.prefixes) {
    const prefix = parsePrefix(cidr);
    if (portId === after.id || !prefix) continue;
    for (const ip of held.filter((x) => prefixContains(prefix, x)))
      out.push({ aapPort: portId, pair: cidr, fixedPort: after.id, ip });
  }
  return out;
}

/** One change of the pair-holder index: `portId` starts (`holds`) or stops holding a bare pair `ip`. */
export interface PairHolderWrite {
  readonly networkId: string;
  readonly ip: string;
  readonly portId: string;
  readonly holds: boolean;
}

/** One change of the network's prefix-pair list: `portId` starts (`holds`) or stops carrying `cidr`. */
export interface PrefixPairWrite {
  readonly networkId: string;
  readonly cidr: string;
  readonly portId: string;
  readonly holds: boolean;
}

/** What a port's change writes to the indexes; only what changes, so a steady port writes nothing. */
export function pairIndexWrites(
  id: string,
  networkId: string,
  before: Port | undefined,
  after: Port | undefined,
): {
  readonly held: { key: string; owner: string | null }[];
  readonly holders: PairHolderWrite[];
  readonly prefixes: PrefixPairWrite[];
} {
  const diff = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  const [heldBefore, heldAfter] = [heldIps(before), heldIps(after)];
  const [pairsBefore, pairsAfter] = [barePairs(before), barePairs(after)];
  const [prefixesBefore, prefixesAfter] = [prefixPairs(before), prefixPairs(after)];
  return {
    held: [
      ...diff(heldAfter, heldBefore).map((ip) => ({ key: heldKey(ip), owner: id })),
      ...diff(heldBefore, heldAfter).map((ip) => ({ key: heldKey(ip), owner: null })),
    ],
    holders: [
      ...diff(pairsAfter, pairsBefore).map((ip) => ({ networkId, ip, portId: id, holds: true })),
      ...diff(pairsBefore, pairsAfter).map((ip) => ({ networkId, ip, portId: id, holds: false })),
    ],
    prefixes: [
      ...diff(prefixesAfter, prefixesBefore).map((cidr) => ({ networkId, cidr, portId: id, holds: true })),
      ...diff(prefixesBefore, prefixesAfter).map((cidr) => ({ networkId, cidr, portId: id, holds: false })),
    ],
  };
}

/**
 * The first fixed IP inside `cidr` that a bound port other than `excluding` holds, as the store
 * records it: one range read of the `heldx:` keys (one Query on DynamoDB).
 */
export async function storedHeldIn(
  store: OwnerRange,
  networkId: string,
  cidr: string,
  excluding: readonly string[],
): Promise<HeldIn | undefined> {
  const range = heldRangeOf(cidr);
  if (!range) return undefined;
  const found = await store.firstOwnerBetween(networkId, range.from, range.to, excluding);
  return found ? { ip: ipOfHeldRangeKey(found.key), owner: found.owner } : undefined;
}

/** The canonical address of a `heldx:` key. */
function ipOfHeldRangeKey(key: string): string {
  const [family, hex = ''] = key.slice(HELD_RANGE.length).split(':');
  return formatFirst({ family: family === '4' ? 4 : 6, base: BigInt(`0x${hex}`), length: 0 });
}
