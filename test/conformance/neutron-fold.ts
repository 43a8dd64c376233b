import type { Agent, HaRouter, Network, Port } from '../../src/core/types.js';
import type { VectorEntry, VectorMessage } from './vectors.js';

/** `[mac, ip]` as one string. */
export type EntryKey = string;
/** host -> network id -> tunnel IP -> entries. */
export type Tables = Map<string, Map<string, Map<string, Set<EntryKey>>>>;

export const FLOOD_KEY: EntryKey = '00:00:00:00:00:00|0.0.0.0';

export function keyOf(e: VectorEntry | readonly [string, string]): EntryKey {
  return e === 'FLOOD' ? FLOOD_KEY : `${e[0]}|${e[1]}`;
}

export function entryOf(key: EntryKey): [string, string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

export function cloneTables(t: Tables): Tables {
  return new Map(
    [...t].map(([h, nets]) => [
      h,
      new Map([...nets].map(([n, vteps]) => [n, new Map([...vteps].map(([v, s]) => [v, new Set(s)]))])),
    ]),
  );
}

function slot(t: Tables, host: string, net: string, vtep: string): Set<EntryKey> {
  let nets = t.get(host);
  if (!nets) t.set(host, (nets = new Map()));
  let vteps = nets.get(net);
  if (!vteps) nets.set(net, (vteps = new Map()));
  let s = vteps.get(vtep);
  if (!s) vteps.set(vtep, (s = new Set()));
  return s;
}

/**
 * Applies Neutron's messages the way its agents do: a fanout reaches every agent, a cast only its
 * host, and an agent skips entries under its own tunnel IP (the OVS agent ignores its local_ip).
 */
export function foldMessages(
  tables: Tables,
  messages: readonly VectorMessage[],
  tunnelIps: ReadonlyMap<string, string>,
): Tables {
  const out = cloneTables(tables);
  for (const m of messages) {
    const targets = m.to === 'fanout' ? [...tunnelIps.keys()] : [m.to];
    for (const host of targets) {
      const own = tunnelIps.get(host);
      if (m.method === 'update_fdb_entries') {
        for (const [net, perVtep] of Object.entries(m.fdb.chg_ip)) {
          for (const [vtep, chg] of Object.entries(perVtep)) {
            if (vtep === own) continue;
            const s = slot(out, host, net, vtep);
            for (const e of chg.before ?? []) s.delete(keyOf(e));
            for (const e of chg.after ?? []) s.add(keyOf(e));
          }
        }
        continue;
      }
      for (const [net, body] of Object.entries(m.fdb)) {
        for (const [vtep, entries] of Object.entries(body.ports)) {
          if (vtep === own) continue;
          const s = slot(out, host, net, vtep);
          for (const e of entries) {
            if (m.method === 'add_fdb_entries') s.add(keyOf(e));
            else s.delete(keyOf(e));
          }
        }
      }
    }
  }
  return out;
}

export interface NetworkFacts {
  readonly network: Network;
  readonly ports: readonly Port[];
  readonly routers: ReadonlyMap<string, HaRouter>;
  readonly agents: ReadonlyMap<string, Agent>;
}

const HA_INTERFACE = 'network:ha_router_replicated_interface';
const SNAT = 'network:router_centralized_snat';
const DVR_INTERFACE = 'network:router_interface_distributed';

/**
 * Whether a host's agent is in a network in Neutron's terms (Neutron `l2pop/db.py`
 * `get_agent_network_active_port_count` > 0, and `_validate_segment`; docs/neutron-l2pop.md §1.4): it has a tunnel IP, l2pops
 * the network's type, and has an ACTIVE ordinary port bound there, an ACTIVE distributed binding,
 * or an L3 agent hosting an HA router whose interface in the network is ACTIVE. An agent drops
 * every network it is not in.
 */
export function neutronMembers(f: NetworkFacts): Set<string> {
  const hosts = new Set<string>();
  for (const p of f.ports) {
    if (p.status !== 'ACTIVE') continue;
    if (p.deviceOwner === DVR_INTERFACE) for (const h of p.dvrHosts) hosts.add(h);
    else if (p.deviceOwner === HA_INTERFACE || (p.deviceOwner === SNAT && f.routers.has(p.deviceId)))
      for (const h of f.routers.get(p.deviceId)?.hosts ?? []) hosts.add(h);
    else if (p.host !== '') hosts.add(p.host);
  }
  return new Set(
    [...hosts].filter((h) => {
      const a = f.agents.get(h);
      return !!a?.tunnelIp && a.networkTypes.includes(f.network.networkType);
    }),
  );
}

/** An agent that is not in a network holds nothing for it. */
export function dropAbsent(tables: Tables, members: ReadonlyMap<string, ReadonlySet<string>>): Tables {
  const out = cloneTables(tables);
  for (const [host, nets] of out) {
    for (const net of [...nets.keys()]) if (!members.get(net)?.has(host)) nets.delete(net);
  }
  return out;
}
