import type { Fdb, Notification } from './oracle.js';

/** `[mac, ip]` as one string, for set membership. */
export type EntryKey = string;
export const FLOOD_KEY: EntryKey = '00:00:00:00:00:00|0.0.0.0';

export function keyOf(entry: readonly [string, string]): EntryKey {
  return `${entry[0]}|${entry[1]}`;
}

export function entryOf(key: EntryKey): [string, string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

/** The message that last added or removed one entry in one host's table. */
export interface Touch {
  /** Index in the notification list. */
  readonly index: number;
  readonly step: number;
  readonly op: string;
  readonly method: Notification['method'];
  readonly target: string;
  /** True when the message added the entry (add, or chg_ip `after`). */
  readonly added: boolean;
}

type Tables = Map<string, Map<string, Map<string, Set<EntryKey>>>>;

/**
 * The oracle's agent tables (`agent_tables` in oracle-harness/results.py) in TypeScript, plus provenance: for every entry
 * of every host, which message touched it last. Fanout reaches every agent host; a host skips
 * its own tunnel IP, taken at the END of the trace, exactly as `fold_state` does.
 */
export class FdbFold {
  private readonly tables: Tables = new Map();
  private readonly touches = new Map<string, Touch>();
  private index = 0;

  constructor(
    private readonly hosts: readonly string[],
    private readonly finalTunnelIp: ReadonlyMap<string, string>,
  ) {
    for (const h of hosts) this.tables.set(h, new Map());
  }

  private set(host: string, net: string, vtep: string): Set<EntryKey> {
    const nets = this.tables.get(host) ?? new Map<string, Map<string, Set<EntryKey>>>();
    this.tables.set(host, nets);
    const vteps = nets.get(net) ?? new Map<string, Set<EntryKey>>();
    nets.set(net, vteps);
    const s = vteps.get(vtep) ?? new Set<EntryKey>();
    vteps.set(vtep, s);
    return s;
  }

  private touch(
    host: string,
    net: string,
    vtep: string,
    key: EntryKey,
    n: Notification,
    added: boolean,
  ): void {
    this.touches.set(`${host}\n${net}\n${vtep}\n${key}`, {
      index: this.index,
      step: n.step,
      op: n.op,
      method: n.method,
      target: n.target,
      added,
    });
  }

  apply(n: Notification): void {
    const targets = n.target === 'fanout' ? this.hosts : [n.target];
    for (const host of targets) {
      const mine = this.finalTunnelIp.get(host);
      if (n.method === 'update_fdb_entries') {
        for (const [net, perIp] of Object.entries(n.payload.chg_ip)) {
          for (const [vtep, chg] of Object.entries(perIp)) {
            if (vtep === mine) continue;
            const cur = this.set(host, net, vtep);
            for (const e of chg.before ?? []) {
              if (cur.delete(keyOf(e))) this.touch(host, net, vtep, keyOf(e), n, false);
            }
            for (const e of chg.after ?? []) {
              cur.add(keyOf(e));
              this.touch(host, net, vtep, keyOf(e), n, true);
            }
          }
        }
        continue;
      }
      for (const [net, body] of Object.entries(n.payload)) {
        for (const [vtep, entries] of Object.entries(body.ports)) {
          if (vtep === mine) continue;
          const cur = this.set(host, net, vtep);
          for (const e of entries) {
            if (n.method === 'add_fdb_entries') {
              cur.add(keyOf(e));
              this.touch(host, net, vtep, keyOf(e), n, true);
            } else if (cur.delete(keyOf(e))) {
              this.touch(host, net, vtep, keyOf(e), n, false);
            }
          }
        }
      }
    }
    this.index++;
  }

  /** The message that last changed `entry` in `host`'s table of `net` under `vtep`. */
  lastTouch(host: string, net: string, vtep: string, key: EntryKey): Touch | undefined {
    return this.touches.get(`${host}\n${net}\n${vtep}\n${key}`);
  }

  /** One host's table for one network, sorted, without empty lists. */
  table(host: string, net: string): Record<string, [string, string][]> {
    const out: Record<string, [string, string][]> = {};
    const vteps = this.tables.get(host)?.get(net);
    for (const vtep of [...(vteps?.keys() ?? [])].sort()) {
      const keys = vteps?.get(vtep);
      if (keys && keys.size > 0) out[vtep] = [...keys].sort().map(entryOf);
    }
    return out;
  }

  /** The whole state in the shape of the oracle's `fdb`. */
  fdb(): Fdb {
    const out: Fdb = {};
    for (const host of [...this.tables.keys()].sort()) {
      out[host] = {};
      for (const net of [...(this.tables.get(host)?.keys() ?? [])].sort()) {
        const t = this.table(host, net);
        if (Object.keys(t).length > 0)
          (out[host] as Record<string, Record<string, [string, string][]>>)[net] = t;
      }
    }
    return out;
  }
}

/** Folds a whole notification list. */
export function foldNotifications(
  notifications: readonly Notification[],
  hosts: readonly string[],
  finalTunnelIp: ReadonlyMap<string, string>,
): FdbFold {
  const fold = new FdbFold(hosts, finalTunnelIp);
  for (const n of notifications) fold.apply(n);
  return fold;
}
