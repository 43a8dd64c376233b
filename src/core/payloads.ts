import type { TableDelta } from './delta.js';
import type { AgentTable, Entry, Network } from './types.js';

/** Neutron's add/remove payload (docs/neutron-l2pop.md §1.1), keyed by network id. */
export type FdbEntries = Record<
  string,
  { segment_id: number; network_type: string; ports: Record<string, Entry[]> }
>;

/** Neutron's update payload (docs/neutron-l2pop.md §1.2); `before`/`after` are omitted when empty. */
export type ChgIpEntries = {
  chg_ip: Record<string, Record<string, { before?: Entry[]; after?: Entry[] }>>;
};

export type NeutronPayload =
  | { readonly method: 'add_fdb_entries'; readonly fdb_entries: FdbEntries }
  | { readonly method: 'remove_fdb_entries'; readonly fdb_entries: FdbEntries }
  | { readonly method: 'update_fdb_entries'; readonly fdb_entries: ChgIpEntries };

function fdb(network: Network, ports: Record<string, Entry[]>): FdbEntries {
  return { [network.id]: { segment_id: network.segmentId, network_type: network.networkType, ports } };
}

function macsOf(table: AgentTable, ip: string): Set<string> {
  return new Set((table[ip] ?? []).map((e) => e[0]));
}

/**
 * Turns a table delta into Neutron-shaped payloads, in the order an agent must apply them:
 * `remove_fdb_entries`, then `update_fdb_entries` (`chg_ip`), then `add_fdb_entries`.
 *
 * An IP change of a MAC that stays behind the same VTEP travels as `chg_ip`: Neutron's OVS agent
 * deletes unicast flows by MAC alone (docs/neutron-l2pop.md §4), so a remove+add pair would drop the MAC's flow
 * for a moment, while `chg_ip` touches only the ARP entries. Removals go first because they are
 * keyed by MAC/IP and would otherwise wipe a fresh add for a moved MAC (docs/neutron-l2pop.md §4).
 */
export function planNeutronPayloads(
  network: Network,
  before: AgentTable,
  delta: TableDelta,
): NeutronPayload[] {
  const after = new Map<string, Set<string>>();
  const remove: Record<string, Entry[]> = {};
  const add: Record<string, Entry[]> = {};
  const chg: Record<string, { before?: Entry[]; after?: Entry[] }> = {};
  const afterMacs = (ip: string): Set<string> => {
    let s = after.get(ip);
    if (!s) {
      const removed = new Set((delta.remove[ip] ?? []).map((e) => `${e[0]}|${e[1]}`));
      s = new Set((before[ip] ?? []).filter((e) => !removed.has(`${e[0]}|${e[1]}`)).map((e) => e[0]));
      for (const e of delta.add[ip] ?? []) s.add(e[0]);
      after.set(ip, s);
    }
    return s;
  };
  for (const [ip, entries] of Object.entries(delta.remove)) {
    for (const e of entries) {
      const slot = e[1] !== '0.0.0.0' && afterMacs(ip).has(e[0]) ? (chg[ip] ??= {}) : null;
      if (slot) (slot.before ??= []).push(e);
      else (remove[ip] ??= []).push(e);
    }
  }
  for (const [ip, entries] of Object.entries(delta.add)) {
    const had = macsOf(before, ip);
    for (const e of entries) {
      const slot = e[1] !== '0.0.0.0' && had.has(e[0]) ? (chg[ip] ??= {}) : null;
      if (slot) (slot.after ??= []).push(e);
      else (add[ip] ??= []).push(e);
    }
  }
  const out: NeutronPayload[] = [];
  if (Object.keys(remove).length > 0)
    out.push({ method: 'remove_fdb_entries', fdb_entries: fdb(network, remove) });
  if (Object.keys(chg).length > 0)
    out.push({ method: 'update_fdb_entries', fdb_entries: { chg_ip: { [network.id]: chg } } });
  if (Object.keys(add).length > 0) out.push({ method: 'add_fdb_entries', fdb_entries: fdb(network, add) });
  return out;
}

/** A full table as one `add_fdb_entries` payload: what a snapshot carries. */
export function planSnapshotPayload(network: Network, table: AgentTable): FdbEntries {
  const ports: Record<string, Entry[]> = {};
  for (const [ip, entries] of Object.entries(table)) ports[ip] = [...entries];
  return fdb(network, ports);
}
