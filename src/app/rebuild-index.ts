import { parsePrefix, prefixContains } from '../core/cidr.js';
import type { Port } from '../core/types.js';
import {
  type AapOverlap,
  barePairs,
  heldIps,
  heldKey,
  type PairHolderWrite,
  type PrefixPair,
  type PrefixPairWrite,
  prefixPairs,
} from './aap-index.js';
import type { Commit, StoredDerived } from './ports.js';

/**
 * The overlap-rule indexes of a network (src/app/aap-index.ts) as its ports say they should be,
 * what must be written to make the stored ones so, and the ports that already break the rule. The
 * rebuild's part that concerns allowed-address pairs (src/app/on-network-rebuild.ts).
 */
export interface OverlapIndex {
  /** `heldx:` key -> the bound port holding that fixed IP. */
  readonly held: ReadonlyMap<string, string>;
  /** Address -> ports whose bare pair it is. */
  readonly holders: ReadonlyMap<string, ReadonlySet<string>>;
  readonly prefixes: readonly PrefixPair[];
}

export type { AapOverlap } from './aap-index.js';

const byId = (a: Port, b: Port) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The indexes every live port of the network implies (ports sorted by id: a duplicate IP keeps the first). */
export function computeOverlapIndex(ports: readonly Port[]): OverlapIndex {
  const held = new Map<string, string>();
  const holders = new Map<string, Set<string>>();
  const prefixes: PrefixPair[] = [];
  for (const p of [...ports].sort(byId)) {
    for (const ip of heldIps(p)) if (!held.has(heldKey(ip))) held.set(heldKey(ip), p.id);
    for (const ip of barePairs(p)) (holders.get(ip) ?? holders.set(ip, new Set()).get(ip))?.add(p.id);
    for (const cidr of prefixPairs(p)) prefixes.push({ cidr, portId: p.id });
  }
  return { held, holders, prefixes };
}

/**
 * Every existing overlap: a port's bare or prefix pair that covers another bound port's fixed IP.
 * O(bare pairs + prefix pairs x held IPs); the rebuild reports them and changes no port.
 */
export function findOverlaps(ports: readonly Port[]): AapOverlap[] {
  const owners = new Map<string, string>();
  for (const p of [...ports].sort(byId))
    for (const ip of heldIps(p)) if (!owners.has(ip)) owners.set(ip, p.id);
  const out: AapOverlap[] = [];
  for (const p of [...ports].sort(byId)) {
    for (const ip of barePairs(p)) {
      const owner = owners.get(ip);
      if (owner !== undefined && owner !== p.id) out.push({ aapPort: p.id, pair: ip, fixedPort: owner, ip });
    }
    for (const cidr of prefixPairs(p)) {
      const prefix = parsePrefix(cidr);
      if (!prefix) continue;
      for (const [ip, owner] of owners)
        if (owner !== p.id && prefixContains(prefix, ip))
          out.push({ aapPort: p.id, pair: cidr, fixedPort: owner, ip });
    }
  }
  return out;
}

/** How many index entries a rebuild wrote and removed. */
export interface IndexRepair {
  readonly heldWritten: number;
  readonly heldRemoved: number;
  readonly holdersWritten: number;
  readonly holdersRemoved: number;
  readonly prefixesWritten: number;
  readonly prefixesRemoved: number;
}

/** One stored item's writes: a held owner, one address's holders, or the prefix list. */
type Unit =
  | { readonly kind: 'held'; readonly key: string; readonly owner: string | null }
  | { readonly kind: 'holders'; readonly writes: readonly PairHolderWrite[] }
  | { readonly kind: 'prefixes'; readonly writes: readonly PrefixPairWrite[] };

/** Items per index commit: below DynamoDB's 100 per transaction. */
export const INDEX_CHUNK_ITEMS = 90;

/**
 * The commits that turn the stored indexes into `want`, each at most `INDEX_CHUNK_ITEMS` items:
 * first the held-IP owners to remove (a stale owner, or one that another port now holds: the
 * store's owner write keeps an item of another owner), then everything else. Only the network's
 * port events write these items, and the rebuild runs in their FIFO group, so the commits need no
 * guard; each is idempotent, so a crash between two is finished by the rebuild's redelivery.
 */
export function planIndexCommits(
  networkId: string,
  want: OverlapIndex,
  stored: Pick<StoredDerived, 'held' | 'holders' | 'prefixes'>,
): { readonly commits: Partial<Commit>[]; readonly repair: IndexRepair } {
  const removals: Unit[] = [];
  const rest: Unit[] = [];
  for (const [key, owner] of stored.held)
    if (want.held.get(key) !== owner) removals.push({ kind: 'held', key, owner: null });
  for (const [key, owner] of want.held)
    if (stored.held.get(key) !== owner) rest.push({ kind: 'held', key, owner });
  let holdersWritten = 0;
  let holdersRemoved = 0;
  for (const ip of [...new Set([...stored.holders.keys(), ...want.holders.keys()])].sort()) {
    const has = new Set(stored.holders.get(ip) ?? []);
    const should = want.holders.get(ip) ?? new Set<string>();
    const writes: PairHolderWrite[] = [
      ...[...should].filter((p) => !has.has(p)).map((portId) => ({ networkId, ip, portId, holds: true })),
      ...[...has].filter((p) => !should.has(p)).map((portId) => ({ networkId, ip, portId, holds: false })),
    ];
    holdersWritten += writes.filter((w) => w.holds).length;
    holdersRemoved += writes.filter((w) => !w.holds).length;
    if (writes.length > 0) rest.push({ kind: 'holders', writes });
  }
  const key = (p: PrefixPair) => `${p.cidr}#${p.portId}`;
  const hasPrefix = new Set(stored.prefixes.map(key));
  const wantPrefix = new Set(want.prefixes.map(key));
  const prefixWrites: PrefixPairWrite[] = [
    ...want.prefixes.filter((p) => !hasPrefix.has(key(p))).map((p) => ({ networkId, ...p, holds: true })),
    ...stored.prefixes.filter((p) => !wantPrefix.has(key(p))).map((p) => ({ networkId, ...p, holds: false })),
  ];
  if (prefixWrites.length > 0) rest.push({ kind: 'prefixes', writes: prefixWrites });
  const commits = [...chunk(removals), ...chunk(rest)].map((units) => commitOf(networkId, units));
  return {
    commits,
    repair: {
      heldWritten: rest.filter((u) => u.kind === 'held').length,
      heldRemoved: removals.length,
      holdersWritten,
      holdersRemoved,
      prefixesWritten: prefixWrites.filter((w) => w.holds).length,
      prefixesRemoved: prefixWrites.filter((w) => !w.holds).length,
    },
  };
}

function chunk(units: readonly Unit[]): Unit[][] {
  const out: Unit[][] = [];
  for (let i = 0; i < units.length; i += INDEX_CHUNK_ITEMS) out.push(units.slice(i, i + INDEX_CHUNK_ITEMS));
  return out;
}

function commitOf(networkId: string, units: readonly Unit[]): Partial<Commit> {
  return {
    macs: units.flatMap((u) => (u.kind === 'held' ? [{ networkId, mac: u.key, owner: u.owner }] : [])),
    pairHolders: units.flatMap((u) => (u.kind === 'holders' ? u.writes : [])),
    prefixPairs: units.flatMap((u) => (u.kind === 'prefixes' ? u.writes : [])),
  };
}
