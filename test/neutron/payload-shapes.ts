import { z } from 'zod';
import { computeTableDelta } from '../../src/core/delta.js';
import { planNeutronPayloads } from '../../src/core/payloads.js';
import type { Network } from '../../src/core/types.js';
import type { Trace } from '../../tools/replay/trace.js';
import { FdbFold, keyOf } from './fold.js';
import type { NeutronSim } from './model.js';
import { chgIpPayloadSchema, type Notification, portsPayloadSchema } from './oracle.js';
import type { PortFacts, SimHistory } from './simulate.js';

/**
 * Wire-shape check of `planNeutronPayloads` (src/core/payloads.ts) against Neutron, event by
 * event. For a step whose fanout changes a bystander agent's table, the project plans payloads
 * from that table's before/after; where Neutron's own fanout for the step is ONE effective message
 * (after dropping exact duplicates and messages with no effect on the bystander, such as the
 * doubled add of a first port-up or the unicast removal of an HA port), the two must be equal:
 * same method, same keys, `before`/`after` omitted when empty, same entries.
 */

export interface PayloadCheck {
  readonly step: number;
  readonly op: string;
  readonly host: string;
  readonly network: string;
  readonly method: Notification['method'];
  readonly equal: boolean;
  readonly neutron: unknown;
  readonly ours: unknown;
}

type Table = Record<string, [string, string][]>;
type Msg = Notification;

/** A message cut down to one network, or null when it does not mention it. */
function restrict(n: Msg, network: string): Msg | null {
  if (n.method === 'update_fdb_entries') {
    const chg = n.payload.chg_ip[network];
    return chg ? { ...n, payload: { chg_ip: { [network]: chg } } } : null;
  }
  const body = n.payload[network];
  return body ? { ...n, payload: { [network]: body } } : null;
}

/** Applies one message to a table; 'exact' when every entry changed something, 'none' when nothing did. */
function applyExact(
  table: Map<string, Set<string>>,
  n: Msg,
  network: string,
  self: string,
): 'exact' | 'none' | 'partial' {
  let hit = 0;
  let miss = 0;
  const edit = (vtep: string, e: readonly [string, string], add: boolean) => {
    if (vtep === self) return;
    const s = table.get(vtep) ?? new Set<string>();
    table.set(vtep, s);
    const had = s.has(keyOf(e));
    if (add !== had) hit++;
    else miss++;
    if (add) s.add(keyOf(e));
    else s.delete(keyOf(e));
  };
  if (n.method === 'update_fdb_entries') {
    for (const [vtep, chg] of Object.entries(n.payload.chg_ip[network] ?? {})) {
      for (const e of chg.before ?? []) edit(vtep, e, false);
      for (const e of chg.after ?? []) edit(vtep, e, true);
    }
  } else {
    for (const [vtep, entries] of Object.entries(n.payload[network]?.ports ?? {})) {
      for (const e of entries) edit(vtep, e, n.method === 'add_fdb_entries');
    }
  }
  if (hit === 0) return 'none';
  return miss === 0 ? 'exact' : 'partial';
}

function tableKeys(t: Table): Map<string, Set<string>> {
  return new Map(Object.entries(t).map(([v, es]) => [v, new Set(es.map(keyOf))]));
}

/** Sorts every `[mac, ip]` list so that payloads compare regardless of list order. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    return items.every((i) => Array.isArray(i))
      ? [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
      : items;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, normalize(v)]),
    );
  }
  return value;
}

const FLOODING = '00:00:00:00:00:00';

/**
 * Whether Neutron's table holds an entry of a port that is not ACTIVE, or for an IP the port no
 * longer has: what deviation D2 leaves behind (Neutron fans out `chg_ip` for a port that is not
 * ACTIVE, docs/deviations.md). Our agents never hold such an entry, so the event does not start
 * from the same table on both sides and its payloads are not comparable: with the stale IP still
 * behind the VTEP, a later add or removal of the port's MAC is a `chg_ip` from Neutron's table
 * (seed 50137: its port-up at step 28 and its migration at step 34).
 */
function holdsChgIpLeftover(
  t: Table,
  ports: ReadonlyMap<string, PortFacts> | undefined,
  network: string,
): boolean {
  const live = [...(ports?.values() ?? [])].filter((p) => p.network === network);
  return Object.values(t).some((entries) =>
    entries.some(([mac, ip]) => {
      if (mac === FLOODING) return false;
      const port = live.find((p) => p.mac === mac);
      return port?.status !== 'ACTIVE' || !port.ips.includes(ip);
    }),
  );
}

export interface PayloadCheckInput {
  readonly trace: Trace;
  readonly sim: NeutronSim;
  readonly history: SimHistory;
  readonly notifications: readonly Notification[];
  readonly hosts: readonly string[];
  readonly finalTunnelIp: ReadonlyMap<string, string>;
}

export function checkPayloadShapes(input: PayloadCheckInput): PayloadCheck[] {
  const { sim, history, notifications } = input;
  const fold = new FdbFold(input.hosts, input.finalTunnelIp);
  const checks: PayloadCheck[] = [];
  const stable = (host: string) => ![...sim.retiredTunnelIps.values()].some((r) => r.host === host);
  for (let step = 0; step < input.trace.steps.length; step++) {
    const msgs = notifications.filter((n) => n.step === step);
    const s = input.trace.steps[step];
    // A chg_ip for a port that is not ACTIVE is deviation (b): we send nothing for that event.
    const inactiveChg = s?.op === 'update_ips' && history.portsBefore[step]?.get(s.port)?.status !== 'ACTIVE';
    const networks = new Set<string>();
    for (const n of msgs) {
      if (n.target !== 'fanout') continue;
      for (const k of Object.keys(n.method === 'update_fdb_entries' ? n.payload.chg_ip : n.payload))
        networks.add(k);
    }
    const before = new Map<string, Table>();
    for (const network of networks)
      for (const h of input.hosts) before.set(`${h}\n${network}`, fold.table(h, network));
    for (const n of msgs) fold.apply(n);
    for (const network of [...networks].sort()) {
      const casts = new Set(msgs.filter((n) => n.target !== 'fanout').map((n) => n.target));
      const present = (i: number, h: string) =>
        i < 0 ? false : (history.presenceAfter[i]?.get(network)?.has(h) ?? false);
      const host = input.hosts.find((h) => {
        if (
          casts.has(h) ||
          !stable(h) ||
          !sim.l2pops(h, network) ||
          !present(step - 1, h) ||
          !present(step, h)
        )
          return false;
        return JSON.stringify(before.get(`${h}\n${network}`)) !== JSON.stringify(fold.table(h, network));
      });
      if (host === undefined || inactiveChg) continue;
      const start = before.get(`${host}\n${network}`) ?? {};
      if (holdsChgIpLeftover(start, history.portsBefore[step], network)) continue;
      const self = input.finalTunnelIp.get(host) ?? '';
      const seen = new Set<string>();
      const effective: Msg[] = [];
      const work = tableKeys(start);
      let comparable = true;
      for (const n of msgs) {
        const r = n.target === 'fanout' ? restrict(n, network) : null;
        if (!r || seen.has(JSON.stringify(r.payload) + r.method)) continue;
        seen.add(JSON.stringify(r.payload) + r.method);
        const effect = applyExact(work, r, network, self);
        if (effect === 'partial') comparable = false;
        if (effect === 'exact') effective.push(r);
      }
      const only = effective[0];
      if (!comparable || effective.length !== 1 || !only) continue;
      const segment = only.method === 'update_fdb_entries' ? 0 : (only.payload[network]?.segment_id ?? 0);
      const net = sim.networks.get(network);
      const model: Network = { id: network, name: network, networkType: net?.type ?? '', segmentId: segment };
      const after = fold.table(host, network);
      const ours = planNeutronPayloads(model, start, computeTableDelta(start, after)).map((p) => ({
        method: p.method,
        payload: p.fdb_entries,
      }));
      const neutron = { method: only.method, payload: only.payload };
      const equal =
        ours.length === 1 && JSON.stringify(normalize(ours[0])) === JSON.stringify(normalize(neutron));
      checks.push({ step, op: only.op, host, network, method: only.method, equal, neutron, ours });
    }
  }
  return checks;
}

const plannedCommandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('delta'),
    networkId: z.string(),
    segment: z.object({ networkType: z.string(), segmentId: z.number().int() }),
    payloads: z.array(z.object({ method: z.string(), fdb_entries: z.unknown() })),
  }),
  z.object({
    kind: z.literal('snapshot'),
    networkId: z.string(),
    segment: z.object({ networkType: z.string(), segmentId: z.number().int() }),
    fdb_entries: z.unknown(),
  }),
  z.object({ kind: z.literal('leave'), networkId: z.string() }),
]);
const messagesSchema = z.record(z.string(), z.array(plannedCommandSchema));

/** Why one add/remove body is not what Neutron would send for this network and segment, or null. */
function portsShapeError(
  body: unknown,
  networkId: string,
  segment: { networkType: string; segmentId: number },
): string | null {
  const parsed = portsPayloadSchema.safeParse(body);
  if (!parsed.success) return `not Neutron's add/remove shape: ${parsed.error.issues[0]?.message ?? ''}`;
  const keys = Object.keys(parsed.data);
  const only = parsed.data[networkId];
  if (keys.length !== 1 || !only) return `keyed by ${keys.join(',')}, not by the network ${networkId}`;
  if (only.network_type !== segment.networkType || only.segment_id !== segment.segmentId) {
    return `segment ${only.network_type}/${only.segment_id}, command says ${segment.networkType}/${segment.segmentId}`;
  }
  return null;
}

/**
 * Checks every Neutron-shaped payload our replay actually sent (the `payloads` of delta commands
 * and the `fdb_entries` of snapshots) against Neutron's wire schema, the one the oracle's own
 * messages are parsed with: `{net: {segment_id, network_type, ports}}` for add/remove, and
 * `{chg_ip: {net: {vtep: {before?, after?}}}}` with `before`/`after` left out when empty.
 */
export function checkMessageShapes(messages: unknown): string[] {
  const parsed = messagesSchema.safeParse(messages);
  if (!parsed.success) return [`replay messages not understood: ${parsed.error.issues[0]?.message ?? ''}`];
  const errors: string[] = [];
  for (const [host, commands] of Object.entries(parsed.data)) {
    commands.forEach((c, i) => {
      const where = `${host} command ${i} (${c.kind})`;
      if (c.kind === 'snapshot') {
        const err = portsShapeError(c.fdb_entries, c.networkId, c.segment);
        if (err) errors.push(`${where}: ${err}`);
      }
      if (c.kind !== 'delta') return;
      for (const p of c.payloads) {
        if (p.method === 'add_fdb_entries' || p.method === 'remove_fdb_entries') {
          const err = portsShapeError(p.fdb_entries, c.networkId, c.segment);
          if (err) errors.push(`${where} ${p.method}: ${err}`);
        } else if (p.method === 'update_fdb_entries') {
          const chg = chgIpPayloadSchema.safeParse(p.fdb_entries);
          const lists = chg.success ? Object.values(chg.data.chg_ip).flatMap((v) => Object.values(v)) : [];
          if (!chg.success) errors.push(`${where} update_fdb_entries: not Neutron's chg_ip shape`);
          else if (lists.some((l) => l.before?.length === 0 || l.after?.length === 0)) {
            errors.push(`${where} update_fdb_entries: an empty before/after list (Neutron leaves it out)`);
          }
        } else {
          errors.push(`${where}: unknown method ${p.method}`);
        }
      }
    });
  }
  return errors;
}
