import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { FLOODING_MAC } from './entries.js';
import type { AgentCapabilities, AgentTable } from './types.js';

/**
 * The drift-audit digest of one agent's view of one network (issue 17, docs/drift-audit.md).
 *
 * It is taken over what a data plane holds, not over the `[mac, ip]` rows of an `AgentTable`, so a
 * kernel agent can compute it from `bridge fdb` and `ip neigh` alone:
 * - a flooding entry: a remote VTEP in the flood list;
 * - a unicast FDB entry: MAC -> VTEP;
 * - an ARP entry: IP -> MAC (only agents that hold ARP entries count them: `holdsArp`).
 *
 * The digest is additive: the sum, mod 2^64, of a 64-bit hash of every entry, plus a count per
 * kind. Adding or removing one entry is one addition, in any order, so the controller can keep the
 * desired digest of every agent from a few network-level sums in O(1) per event.
 */
export type DataPlaneEntry =
  | { readonly kind: 'flood'; readonly vtep: string }
  | { readonly kind: 'unicast'; readonly mac: string; readonly vtep: string }
  | { readonly kind: 'arp'; readonly ip: string; readonly mac: string };

export const DIGEST_KINDS = ['flood', 'unicast', 'arp'] as const;
export type DigestKind = (typeof DIGEST_KINDS)[number];

export type DigestCounts = Readonly<Record<DigestKind, number>>;

/** A digest as it travels: counts per kind and the hash sum as 16 lower-case hex digits. */
export interface ViewDigest {
  readonly counts: DigestCounts;
  readonly sum: string;
}

/** The mutable form: what the controller keeps per network and per host, and subtracts. */
export interface DigestAccumulator {
  counts: Record<DigestKind, number>;
  sum: bigint;
}

/** The canonical text of an entry; MACs are compared lower-case, IPs as given (canonical). */
export function dataPlaneEntryKey(e: DataPlaneEntry): string {
  switch (e.kind) {
    case 'flood':
      return `flood|${e.vtep}`;
    case 'unicast':
      return `unicast|${e.mac.toLowerCase()}|${e.vtep}`;
    case 'arp':
      return `arp|${e.ip}|${e.mac.toLowerCase()}`;
  }
}

/**
 * The first 64 bits of SHA-256 of the entry's key. A cryptographic hash, so the per-entry hashes
 * behave as independent uniform values and no structured set of entries (MACs counting up, one
 * subnet) can cancel out in the sum the way it could with a linear or weak hash.
 */
export function hashDataPlaneEntry(e: DataPlaneEntry): bigint {
  const h = sha256(utf8ToBytes(dataPlaneEntryKey(e)));
  return new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0);
}

export function emptyDigestAccumulator(): DigestAccumulator {
  return { counts: { flood: 0, unicast: 0, arp: 0 }, sum: 0n };
}

/** Adds (`sign` 1) or removes (`sign` -1) one entry. Removal is exact: the sum is a group. */
export function addToDigest(acc: DigestAccumulator, e: DataPlaneEntry, sign: 1 | -1 = 1): void {
  acc.counts[e.kind] += sign;
  acc.sum = BigInt.asUintN(64, acc.sum + BigInt(sign) * hashDataPlaneEntry(e));
}

/** `acc += other * sign`: merges the sums of two disjoint parts of a view, or subtracts one. */
export function combineDigests(acc: DigestAccumulator, other: DigestAccumulator, sign: 1 | -1 = 1): void {
  for (const k of DIGEST_KINDS) acc.counts[k] += sign * other.counts[k];
  acc.sum = BigInt.asUintN(64, acc.sum + BigInt(sign) * other.sum);
}

export function cloneDigestAccumulator(acc: DigestAccumulator): DigestAccumulator {
  return { counts: { ...acc.counts }, sum: acc.sum };
}

export function finishDigest(acc: DigestAccumulator): ViewDigest {
  return { counts: { ...acc.counts }, sum: acc.sum.toString(16).padStart(16, '0') };
}

export function digestsEqual(a: ViewDigest, b: ViewDigest): boolean {
  return a.sum === b.sum && DIGEST_KINDS.every((k) => a.counts[k] === b.counts[k]);
}

/**
 * The digest of a SET of data-plane entries: duplicates count once, as in the kernel, where a
 * second `bridge fdb append` of one destination or `ip neigh replace` of one IP changes nothing.
 */
export function computeViewDigest(entries: Iterable<DataPlaneEntry>): ViewDigest {
  const seen = new Set<string>();
  const acc = emptyDigestAccumulator();
  for (const e of entries) {
    const key = dataPlaneEntryKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    addToDigest(acc, e);
  }
  return finishDigest(acc);
}

/**
 * The data-plane entries an agent holding `table` programs, as the reference agent does
 * (`agent/kernel-ops.ts`): the flooding entry is a flood-list VTEP, every other row a unicast FDB
 * entry MAC -> VTEP (one per MAC and VTEP, however many IPs the MAC has) and, when the agent holds
 * ARP entries, an ARP entry IP -> MAC.
 */
export function computeDataPlaneEntries(table: AgentTable, holdsArp: boolean): DataPlaneEntry[] {
  const out: DataPlaneEntry[] = [];
  for (const [vtep, entries] of Object.entries(table)) {
    for (const [mac, ip] of entries) {
      if (mac === FLOODING_MAC) out.push({ kind: 'flood', vtep });
      else {
        out.push({ kind: 'unicast', mac, vtep });
        if (holdsArp) out.push({ kind: 'arp', ip, mac });
      }
    }
  }
  return out;
}

/** The digest of the view a table describes: the full-recompute side of every audit comparison. */
export function computeTableDigest(table: AgentTable, holdsArp: boolean): ViewDigest {
  return computeViewDigest(computeDataPlaneEntries(table, holdsArp));
}

/**
 * Whether an agent holds ARP entries, so they count in its digest: an agent that answers ARP from
 * its entries (`responder`, `proxy`). The reference kernel agent programs them only with `proxy`,
 * and reports `off` otherwise (`agent/create-agent.ts`).
 */
export function computeHoldsArp(capabilities: AgentCapabilities): boolean {
  return capabilities.arp !== 'off';
}
