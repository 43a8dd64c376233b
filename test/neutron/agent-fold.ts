import type { Trace } from '../../tools/replay/trace.js';
import type { FdbDiff } from './deviations.js';
import { entryOf, FLOOD_KEY, keyOf } from './fold.js';
import type { NeutronSim } from './model.js';
import type { Fdb, Notification } from './oracle.js';
import type { SimHistory } from './simulate.js';

/**
 * What REAL Open vSwitch agents would hold at the end, as opposed to the oracle's fold, which lets
 * every fanout reach every host. A real agent:
 * - handles l2pop messages only for networks it has a local VLAN for (`get_agent_ports` skips the
 *   others, docs/neutron-l2pop.md §4), i.e. while a device of the network is plugged on it;
 * - loses all flows of a network when its last local device goes (`reclaim_local_vlan`, §5.2);
 * - after a restart starts from nothing and is rebuilt by the `refresh_tunnels` full syncs (§3.7);
 * - skips its own tunnel IP as it is at that moment.
 * "Plugged" is the oracle's own notion (devices reported up and not down since). The comparison
 * with our tables is informational: it shows where Neutron's real end state depends on the order
 * of events (deviation (e)) even where the oracle's fold does not.
 */

type Tables = Map<string, Map<string, Map<string, Set<string>>>>;

export interface AgentViewDiff extends FdbDiff {
  readonly reason: string;
}

function networksOf(
  plugged: ReadonlyMap<string, readonly string[]> | undefined,
  host: string,
  portNet: ReadonlyMap<string, string>,
): Set<string> {
  return new Set((plugged?.get(host) ?? []).map((p) => portNet.get(p) ?? ''));
}

export interface AgentFoldInput {
  readonly trace: Trace;
  readonly sim: NeutronSim;
  readonly history: SimHistory;
  readonly notifications: readonly Notification[];
}

/** host -> network -> the step from which the agent has had the network locally (absent: not now). */
export type JoinSteps = Map<string, Map<string, number>>;

export function foldAsAgents(input: AgentFoldInput): { fdb: Fdb; joined: JoinSteps } {
  const { trace, sim, history, notifications } = input;
  const hosts = [...sim.agents.keys()].sort();
  const portNet = new Map<string, string>();
  for (const m of history.portsBefore) for (const [name, p] of m) portNet.set(name, p.network);
  const finalPlugged = new Map([...sim.plugged].map(([h, l]) => [h, [...l]]));
  const finalIps = new Map([...sim.agents.values()].map((a) => [a.host, a.tunnelIp]));
  const tables: Tables = new Map(hosts.map((h) => [h, new Map()]));
  const joined: JoinSteps = new Map(hosts.map((h) => [h, new Map()]));
  const table = (h: string, n: string, vtep: string) => {
    const nets = tables.get(h) ?? new Map<string, Map<string, Set<string>>>();
    tables.set(h, nets);
    const vteps = nets.get(n) ?? new Map<string, Set<string>>();
    nets.set(n, vteps);
    const s = vteps.get(vtep) ?? new Set<string>();
    vteps.set(vtep, s);
    return s;
  };
  trace.steps.forEach((step, i) => {
    const before = history.pluggedBefore[i];
    const after = history.pluggedBefore[i + 1] ?? finalPlugged;
    const ips = new Set([history.tunnelIpsBefore[i], history.tunnelIpsBefore[i + 1] ?? finalIps]);
    if (step.op === 'agent_restart') {
      tables.set(step.host, new Map());
      joined.set(step.host, new Map());
    }
    const local = new Map(
      hosts.map((h) => [h, new Set([...networksOf(before, h, portNet), ...networksOf(after, h, portNet)])]),
    );
    for (const h of hosts) {
      for (const n of local.get(h) ?? []) if (!joined.get(h)?.has(n)) joined.get(h)?.set(n, i);
    }
    for (const msg of notifications.filter((m) => m.step === i)) {
      for (const h of msg.target === 'fanout' ? hosts : [msg.target]) {
        const own = (vtep: string) => [...ips].some((m) => m?.get(h) === vtep);
        const here = local.get(h) ?? new Set<string>();
        if (msg.method === 'update_fdb_entries') {
          for (const [n, perIp] of Object.entries(msg.payload.chg_ip)) {
            if (!here.has(n)) continue;
            for (const [vtep, chg] of Object.entries(perIp)) {
              if (own(vtep)) continue;
              for (const e of chg.before ?? []) table(h, n, vtep).delete(keyOf(e));
              for (const e of chg.after ?? []) table(h, n, vtep).add(keyOf(e));
            }
          }
          continue;
        }
        for (const [n, body] of Object.entries(msg.payload)) {
          if (!here.has(n)) continue;
          for (const [vtep, entries] of Object.entries(body.ports)) {
            if (own(vtep)) continue;
            for (const e of entries) {
              if (msg.method === 'add_fdb_entries') table(h, n, vtep).add(keyOf(e));
              else table(h, n, vtep).delete(keyOf(e));
            }
          }
        }
      }
    }
    // a network whose last local device went is reclaimed: its flows are gone
    for (const h of hosts) {
      const still = networksOf(after, h, portNet);
      for (const n of [...(joined.get(h)?.keys() ?? [])]) {
        if (still.has(n)) continue;
        joined.get(h)?.delete(n);
        tables.get(h)?.delete(n);
      }
    }
  });
  const fdb: Fdb = {};
  for (const [h, nets] of tables) {
    const out: Fdb[string] = {};
    for (const [n, vteps] of nets) {
      const t: Record<string, [string, string][]> = {};
      for (const [vtep, keys] of [...vteps].sort(([a], [b]) => (a < b ? -1 : 1)))
        if (keys.size > 0) t[vtep] = [...keys].sort().map(entryOf);
      if (Object.keys(t).length > 0) out[n] = t;
    }
    fdb[h] = out;
  }
  return { fdb, joined };
}

function agentViewReason(
  side: FdbDiff['side'],
  since: number | undefined,
  host: string,
  network: string,
  what: string,
  fanouts: readonly number[],
): string {
  if (side === 'oracle-only')
    return `a real agent on ${host} keeps this ${what}; the oracle's fold and we do not`;
  if (since === undefined) {
    return `no device of ${network} is plugged on ${host} at the end, so its real agent holds nothing there, while Neutron counts ${host} present`;
  }
  const when =
    fanouts.length > 0 ? `fanned it out only at steps [${fanouts.join(', ')}]` : 'never fanned it out';
  return `a real agent on ${host} has had ${network} since step ${since}; Neutron ${when}, and no full sync to ${host} since then carried this ${what}`;
}

function has(fdb: Fdb, d: FdbDiff): boolean {
  return (fdb[d.host]?.[d.network]?.[d.vtep] ?? []).some((e) => keyOf(e) === keyOf(d.entry));
}

/**
 * Differences between what real agents would hold and our tables, over the compared pairs, that
 * the oracle's fold does not show (where the fold agrees with us on that entry).
 */
export function compareAgentView(
  input: AgentFoldInput,
  pairs: readonly { host: string; network: string }[],
  oracleFdb: Fdb,
  ours: Fdb,
): AgentViewDiff[] {
  const { fdb, joined } = foldAsAgents(input);
  const out: AgentViewDiff[] = [];
  for (const { host, network } of pairs) {
    const real = fdb[host]?.[network] ?? {};
    const mine = ours[host]?.[network] ?? {};
    const since = joined.get(host)?.get(network);
    const sides: [Record<string, [string, string][]>, Record<string, [string, string][]>, FdbDiff['side']][] =
      [
        [real, mine, 'oracle-only'],
        [mine, real, 'ours-only'],
      ];
    for (const [a, b, side] of sides) {
      for (const [vtep, entries] of Object.entries(a)) {
        for (const e of entries) {
          if ((b[vtep] ?? []).some((x) => keyOf(x) === keyOf(e))) continue;
          const d: FdbDiff = { host, network, vtep, entry: e, side };
          const foldAgrees = has(oracleFdb, d) === has(ours, d);
          if (!foldAgrees) continue;
          const fanouts = input.notifications.flatMap((n) =>
            n.method === 'add_fdb_entries' &&
            n.target === 'fanout' &&
            (n.payload[network]?.ports[vtep] ?? []).some((x) => keyOf(x) === keyOf(e))
              ? [n.step]
              : [],
          );
          const what = keyOf(e) === FLOOD_KEY ? 'flooding entry' : 'entry';
          out.push({
            ...d,
            reason: agentViewReason(side, since, host, network, what, [...new Set(fanouts)]),
          });
        }
      }
    }
  }
  return out;
}
