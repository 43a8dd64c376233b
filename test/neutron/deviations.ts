import type { Trace } from '../../tools/replay/trace.js';
import { type FdbFold, FLOOD_KEY, keyOf } from './fold.js';
import type { NeutronSim } from './model.js';
import type { Notification } from './oracle.js';
import type { SimHistory } from './simulate.js';

/**
 * The deliberate deviations from Neutron 21 that the differential comparison accepts. Each one is
 * a named function that explains ONE differing entry, and only under conditions that pin the
 * difference to its cause: which side holds the entry, which message put it there (provenance from
 * the fold of the oracle's messages) and the Neutron state at that moment (the simulator). A
 * difference that no function explains is a bug.
 *
 * Ids and slugs are those of docs/deviations.md (`test/deviations/ids.ts`). The older letters
 * still used in some comments of this folder map as (a) D1, (b) D2, (c) D3, (d) D4, (e) D7, (f) D6.
 * The others of the table do not show in this end-state comparison: D5 and D10 last only until the
 * agents re-report (generated traces end settled), the rest concern messages or inputs.
 */

export const DEVIATION_KINDS = [
  'tunnel-ip-change',
  'chg-ip-inactive-port',
  'full-sync-unfiltered-types',
  'ha-backup-before-master',
  'flood-only-by-full-sync',
  'ha-removal-skipped',
] as const;
export type DeviationKind = (typeof DEVIATION_KINDS)[number];

/** The id of each kind in docs/deviations.md. */
export const DEVIATION_IDS: Readonly<Record<DeviationKind, string>> = {
  'tunnel-ip-change': 'D1',
  'chg-ip-inactive-port': 'D2',
  'full-sync-unfiltered-types': 'D3',
  'ha-backup-before-master': 'D4',
  'flood-only-by-full-sync': 'D7',
  'ha-removal-skipped': 'D6',
};

/** One entry that one side's table holds and the other's lacks. */
export interface FdbDiff {
  readonly host: string;
  readonly network: string;
  readonly vtep: string;
  readonly entry: readonly [string, string];
  /** `oracle-only`: Neutron's agent holds it and ours does not; `ours-only`: the reverse. */
  readonly side: 'oracle-only' | 'ours-only';
}

export interface ExplainContext {
  readonly trace: Trace;
  /** The simulator after the last step. */
  readonly sim: NeutronSim;
  readonly history: SimHistory;
  /** The fold of the oracle's notifications, with provenance. */
  readonly fold: FdbFold;
  readonly notifications: readonly Notification[];
}

/** A reason when the deviation explains the difference, else null. */
export type Explainer = (d: FdbDiff, ctx: ExplainContext) => string | null;

/**
 * D1 (a) Tunnel-IP change. Neutron never removes the entries of a VTEP whose agent came back with a
 * new `tunnel_ip` (docs/neutron-l2pop.md §2, item 7; example 06 step 9); we drop them. Narrow: only
 * entries Neutron holds under an IP that some agent gave up in an `agent_restart` and that no agent
 * has at the end. (The oracle's fold also leaves a host its OWN entries under its old IP, because
 * it skips only the final IP; same rule.)
 */
export function explainTunnelIpChange(d: FdbDiff, ctx: ExplainContext): string | null {
  if (d.side !== 'oracle-only') return null;
  const retired = ctx.sim.retiredTunnelIps.get(d.vtep);
  if (!retired || [...ctx.sim.agents.values()].some((a) => a.tunnelIp === d.vtep)) return null;
  return `${d.vtep} was ${retired.host}'s tunnel IP until the restart at step ${retired.step}; Neutron never withdraws the old VTEP`;
}

/**
 * D2 (b) `chg_ip` for a port that is not ACTIVE. Neutron's `_fixed_ips_changed` fans out
 * `update_fdb_entries` for any bound port (docs/neutron-l2pop.md §2, item 6; example 05 step 9), so agents
 * get an ARP/unicast entry for a DOWN port; we publish entries of ACTIVE ports only. Narrow: an
 * entry of that port's MAC, last put there by the `chg_ip` of an `update_ips` step while the port
 * was not ACTIVE, under the tunnel IP its binding host had then.
 */
export function explainChgIpOnInactivePort(d: FdbDiff, ctx: ExplainContext): string | null {
  if (d.side !== 'oracle-only' || keyOf(d.entry) === FLOOD_KEY) return null;
  const t = ctx.fold.lastTouch(d.host, d.network, d.vtep, keyOf(d.entry));
  if (!t?.added || t.method !== 'update_fdb_entries' || t.op !== 'update_ips') return null;
  const step = ctx.trace.steps[t.step];
  if (step?.op !== 'update_ips') return null;
  const port = ctx.history.portsBefore[t.step]?.get(step.port);
  const hostIp = port ? ctx.history.tunnelIpsBefore[t.step]?.get(port.host) : undefined;
  if (!port || port.status === 'ACTIVE' || port.mac !== d.entry[0] || hostIp !== d.vtep) return null;
  return `chg_ip of ${step.port} at step ${t.step} while it was ${port.status} on ${port.host}`;
}

/**
 * D3 (c) The full-FDB cast does not filter VTEPs by network type (docs/neutron-l2pop.md §2, item 8; example
 * 09 step 9): a host that l2pops the type is sent the ports of hosts that do not. We show only
 * hosts that l2pop the network's type. Narrow: the entry's VTEP belongs to a host that does not
 * l2pop this network's type, and the message that put it there was a cast to this very host.
 */
export function explainFullSyncUnfilteredTypes(d: FdbDiff, ctx: ExplainContext): string | null {
  if (d.side !== 'oracle-only') return null;
  const owner = ctx.sim.hostOfTunnelIp(d.vtep);
  if (!owner || ctx.sim.l2pops(owner, d.network)) return null;
  const t = ctx.fold.lastTouch(d.host, d.network, d.vtep, keyOf(d.entry));
  if (!t?.added || t.target !== d.host) return null;
  return `${owner} does not l2pop ${ctx.sim.networks.get(d.network)?.type}; the full sync at step ${t.step} sent it anyway`;
}

/** The first step of the last unbroken run of steps after which `host` is present in `network`. */
function presenceStart(history: SimHistory, host: string, network: string): number | null {
  const after = history.presenceAfter;
  let start: number | null = null;
  for (let i = after.length - 1; i >= 0; i--) {
    if (!after[i]?.get(network)?.has(host)) break;
    start = i;
  }
  return start;
}

/** Whether Neutron announced `vtep`'s flooding entry in `network` to `host` at or after step `from`. */
function floodAnnounced(
  ctx: ExplainContext,
  host: string,
  network: string,
  vtep: string,
  from: number,
): boolean {
  return ctx.notifications.some(
    (n) =>
      n.step >= from &&
      n.method === 'add_fdb_entries' &&
      (n.target === 'fanout' || n.target === host) &&
      (n.payload[network]?.ports[vtep] ?? []).some((e) => keyOf(e) === FLOOD_KEY),
  );
}

/** Steps at which `host`'s agent reported an HA interface of `network` up (port_up, or a restart re-reporting it). */
function haReports(ctx: ExplainContext, host: string, network: string): number[] {
  const out: number[] = [];
  ctx.trace.steps.forEach((s, i) => {
    const ports = ctx.history.portsBefore[i];
    const isHa = (name: string) => {
      const p = ports?.get(name);
      return !!p && p.haRouter !== null && p.network === network;
    };
    if (s.op === 'port_up' && (s.host ?? ports?.get(s.port)?.host) === host && isHa(s.port)) out.push(i);
    const replugged =
      s.op === 'agent_restart' && s.host === host
        ? (s.ports ?? ctx.history.pluggedBefore[i]?.get(host) ?? [])
        : [];
    if (replugged.some(isHa)) out.push(i);
  });
  return out;
}

/**
 * Common ground of D4 (d) and D7 (e): a flooding entry we show towards a node that is present ONLY
 * through an HA router, which Neutron never announced to this host since that node last became
 * present. Neutron announces an HA node's flooding entry in two ways only: in the fanout that
 * follows the node's own report of the interface, when that report counts as a "first port", and
 * inside the full-FDB cast another host gets for its own first port (docs/neutron-l2pop.md §3).
 */
function unannouncedHaFlood(
  d: FdbDiff,
  ctx: ExplainContext,
): { node: string; since: number; reports: number[] } | null {
  if (d.side !== 'ours-only' || keyOf(d.entry) !== FLOOD_KEY) return null;
  const node = ctx.sim.hostOfTunnelIp(d.vtep);
  if (!node || ctx.sim.agents.get(node)?.tunnelIp !== d.vtep) return null;
  if (ctx.sim.presence(d.network).get(node) !== 'ha') return null;
  const since = presenceStart(ctx.history, node, d.network);
  if (since === null || floodAnnounced(ctx, d.host, d.network, d.vtep, since)) return null;
  return { node, since, reports: haReports(ctx, node, d.network) };
}

/**
 * D4 (d) HA interface reported up by a backup before the master made the port ACTIVE. The backup's
 * report reaches `update_port_up` with an active-port count of 0 (the port is still DOWN), so it is
 * not a first port: no flooding entry is fanned out and the backup gets no full sync; nothing is
 * sent when the port turns ACTIVE later either. We make every hosting node present as soon as the
 * port is ACTIVE. Narrow: D4/D7 common ground, and the node's last report came before it became
 * present and none after.
 */
export function explainHaBackupBeforeMaster(d: FdbDiff, ctx: ExplainContext): string | null {
  const u = unannouncedHaFlood(d, ctx);
  if (!u) return null;
  const last = u.reports.at(-1);
  if (last === undefined || last >= u.since) return null;
  return `${u.node} reported the interface at step ${last}, before the port turned ACTIVE at step ${u.since}; Neutron never announced it to ${d.host}`;
}

/**
 * D7 (e) Path dependence: a host holds an HA node's flooding entry in Neutron only if it happened to
 * receive one of the two messages that carry it. This explains the rest of the common ground:
 * the node never reported the interface while it was present, or its report did not count as a
 * first port, and this host's own full sync (if any) came before the node became present.
 */
export function explainFloodOnlyByFullSync(d: FdbDiff, ctx: ExplainContext): string | null {
  const u = unannouncedHaFlood(d, ctx);
  if (!u) return null;
  const during = u.reports.filter((s) => s >= u.since);
  const why =
    during.length === 0
      ? `${u.node} did not report the interface up after it became present at step ${u.since}`
      : `${u.node}'s reports at steps ${during.join(', ')} did not count as a first port`;
  return `${why}, and ${d.host} got no full sync carrying it since`;
}

/** The step after which `host` stopped being present in `network` for the last time, or null. */
function presenceEnd(history: SimHistory, host: string, network: string): number | null {
  const after = history.presenceAfter;
  for (let i = after.length - 1; i >= 0; i--) {
    if (after[i]?.get(network)?.has(host)) return i === after.length - 1 ? null : i + 1;
  }
  return null;
}

/**
 * D6 (f) HA interface removed while bound to a host that does not l2pop the network's type.
 * `delete_port_postcommit` starts from `_get_agent_fdb(segment, port, binding host)`, which is
 * None when the binding host's agent does not l2pop the segment type (docs/neutron-l2pop.md §1.4), so the
 * flooding removals for the HA nodes (`_get_ha_port_agents_fdb`) are never sent and every agent
 * keeps flooding to them. We withdraw them. Narrow: a flooding entry Neutron keeps towards a node
 * that is not present at the end; an interface of a router scheduled on that node was removed at a
 * step k while bound to a host that does not l2pop the type; the node was not present after k, and
 * the entry was last added before k.
 */
export function explainHaRemovalSkipped(d: FdbDiff, ctx: ExplainContext): string | null {
  if (d.side !== 'oracle-only' || keyOf(d.entry) !== FLOOD_KEY) return null;
  const node = ctx.sim.hostOfTunnelIp(d.vtep);
  if (!node || ctx.sim.presence(d.network).has(node)) return null;
  const removals = ctx.trace.steps.flatMap((step, k) => {
    if (step.op !== 'router_interface_remove' && step.op !== 'delete_port') return [];
    const name = step.op === 'delete_port' ? step.port : (step.port ?? `${step.router}:${step.subnet ?? ''}`);
    const port = ctx.history.portsBefore[k]?.get(name);
    if (!port?.haRouter || port.network !== d.network || port.host === '') return [];
    if (!ctx.sim.routers.get(port.haRouter)?.hosts.includes(node)) return [];
    return ctx.sim.l2pops(port.host, d.network) ? [] : [{ k, name, host: port.host }];
  });
  const last = removals.at(-1);
  const end = presenceEnd(ctx.history, node, d.network);
  const t = ctx.fold.lastTouch(d.host, d.network, d.vtep, FLOOD_KEY);
  if (!last || end === null || end > last.k || !t?.added || t.step >= last.k) return null;
  const type = ctx.sim.networks.get(d.network)?.type;
  return `${last.name} was removed at step ${last.k} while bound to ${last.host}, which does not l2pop ${type}: Neutron sent no flooding removal for ${node}`;
}

/** The explainers in the order they are tried; the first that explains a difference classifies it. */
export const EXPLAINERS: readonly (readonly [DeviationKind, Explainer])[] = [
  ['tunnel-ip-change', explainTunnelIpChange],
  ['chg-ip-inactive-port', explainChgIpOnInactivePort],
  ['full-sync-unfiltered-types', explainFullSyncUnfilteredTypes],
  ['ha-backup-before-master', explainHaBackupBeforeMaster],
  ['flood-only-by-full-sync', explainFloodOnlyByFullSync],
  ['ha-removal-skipped', explainHaRemovalSkipped],
];
