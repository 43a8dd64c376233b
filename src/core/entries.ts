import type { AgentTable, Entry } from './types.js';

export const FLOODING_MAC = '00:00:00:00:00:00';
export const FLOODING_IP = '0.0.0.0';
/** Neutron's FLOODING_ENTRY: "this remote VTEP belongs in my flood list for this network". */
export const FLOODING_ENTRY: Entry = [FLOODING_MAC, FLOODING_IP];

/** Stable string key of an entry, used for set membership. */
export function entryKey(entry: Entry): string {
  return `${entry[0]}|${entry[1]}`;
}

export function entryFromKey(key: string): Entry {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

/** Orders entries with the flooding entry first, then by MAC, then by IP (plain string order). */
export function compareEntries(a: Entry, b: Entry): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** A mutable builder for an agent table: tunnel IP -> set of entry keys. */
export type TableBuilder = Map<string, Set<string>>;

export function addToBuilder(builder: TableBuilder, tunnelIp: string, entry: Entry): void {
  let set = builder.get(tunnelIp);
  if (!set) {
    set = new Set();
    builder.set(tunnelIp, set);
  }
  set.add(entryKey(entry));
}

export function removeFromBuilder(builder: TableBuilder, tunnelIp: string, entry: Entry): void {
  const set = builder.get(tunnelIp);
  if (!set) return;
  set.delete(entryKey(entry));
  if (set.size === 0) builder.delete(tunnelIp);
}

/** Freezes a builder into a table with sorted keys and sorted entry lists; empty lists are dropped. */
export function finishTable(builder: TableBuilder): AgentTable {
  const out: Record<string, Entry[]> = {};
  for (const ip of [...builder.keys()].sort()) {
    const keys = builder.get(ip);
    if (!keys || keys.size === 0) continue;
    out[ip] = [...keys].map(entryFromKey).sort(compareEntries);
  }
  return out;
}

export function builderFromTable(table: AgentTable): TableBuilder {
  const builder: TableBuilder = new Map();
  for (const [ip, entries] of Object.entries(table)) {
    for (const entry of entries) addToBuilder(builder, ip, entry);
  }
  return builder;
}

export function tableSize(table: AgentTable): number {
  let n = 0;
  for (const entries of Object.values(table)) n += entries.length;
  return n;
}
