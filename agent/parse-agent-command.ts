import type { z } from 'zod';
import { type AgentCommand, agentCommandSchema, type LocalPortRecord } from '../src/contracts/commands.js';
import { idSchema, macSchema } from '../src/contracts/primitives.js';
import { AgentCommandError, type AgentRejectionCode } from './agent-error.js';
import { assertIp, assertMac, assertVni, FLOODING_IP, FLOODING_MAC, ipFamily } from './kernel-values.js';

/** One l2pop entry as the agent applies it: `[mac, ip]` behind the VTEP `vtep`. */
export interface FdbEntry {
  readonly vtep: string;
  /** `00:00:00:00:00:00` for the flooding entry. */
  readonly mac: string;
  /** `0.0.0.0` for the flooding entry. */
  readonly ip: string;
}

export type PayloadStep =
  | { readonly kind: 'remove' | 'add'; readonly entries: readonly FdbEntry[] }
  | { readonly kind: 'chg_ip'; readonly before: readonly FdbEntry[]; readonly after: readonly FdbEntry[] };

/**
 * One entry the agent refused while it applied the rest of its command. The strings are the
 * command's own, cut to 64 characters (they are hostile input: logged, never passed to a program).
 */
export interface RefusedEntry {
  readonly code: AgentRejectionCode;
  readonly vtep: string;
  /** Null when a VTEP with no entries at all was refused. */
  readonly mac: string | null;
  readonly ip: string | null;
  readonly reason: string;
}

/**
 * A command that passed every check: only canonical MACs, IPs and a VNI in range are left. Entry-
 * level problems do not refuse the command: the entry is dropped and listed in `refused`.
 */
export type ValidatedCommand =
  | {
      readonly kind: 'delta';
      readonly networkId: string;
      readonly version: number;
      readonly base: number;
      readonly vni: number;
      readonly steps: readonly PayloadStep[];
      readonly refused: readonly RefusedEntry[];
      /** Changes to the ports bound to this host (checked by the schema); absent: none. */
      readonly localPorts?: {
        readonly upsert: readonly LocalPortRecord[];
        readonly remove: readonly string[];
      };
    }
  | {
      readonly kind: 'snapshot';
      readonly networkId: string;
      readonly version: number;
      readonly vni: number;
      readonly part: { readonly index: number; readonly count: number };
      readonly entries: readonly FdbEntry[];
      readonly refused: readonly RefusedEntry[];
      /** This part's share of the ports bound to this host (checked by the schema). */
      readonly localPorts: readonly LocalPortRecord[];
    }
  | { readonly kind: 'leave'; readonly networkId: string; readonly version: number };

/** The SQS message size limit: nothing larger can be a genuine command. */
export const MAX_COMMAND_BYTES = 256 * 1024;
/** Entries in one command; a 256 KiB body holds at most ~6,500, so more is a forgery. */
export const MAX_COMMAND_ENTRIES = 10_000;

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null;
}

/** Walks own properties only, so a path never reaches into a prototype. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (!isObject(cur) || typeof key === 'symbol' || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key as string];
  }
  return cur;
}

function flatten(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    const nested =
      'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as z.core.$ZodIssue[]) : [];
    if (nested.length > 0) out.push(...flatten(nested, path));
    else out.push({ ...issue, path } as z.core.$ZodIssue);
  }
  return out;
}

function classify(issue: z.core.$ZodIssue, raw: unknown): AgentRejectionCode {
  if (issue.message.startsWith('invalid_mac')) return 'invalid_mac';
  if (issue.message.startsWith('invalid_ip')) return 'invalid_ip';
  if (issue.message === 'invalid id') return 'invalid_id';
  if (issue.code === 'too_big' && issue.path[issue.path.length - 1] === 'payloads') return 'limit_exceeded';
  const value = valueAt(raw, issue.path);
  if (issue.code === 'custom' && Array.isArray(value) && value.length === 2) {
    const [mac] = value as unknown[];
    if (mac === FLOODING_MAC) return 'invalid_flooding_entry';
    if (!macSchema.safeParse(mac).success) return 'invalid_mac';
    return 'invalid_ip';
  }
  return 'invalid_command';
}

function rejectSchema(error: z.ZodError, raw: unknown): never {
  const issues = flatten(error.issues);
  const first = issues[0];
  const code = first ? classify(first, raw) : 'invalid_command';
  const text = issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new AgentCommandError(code, text, { issues: issues.length });
}

interface Context {
  readonly networkId: string;
  readonly vni: number;
  readonly tunnelIp: string;
}

function entriesOf(
  ctx: Context,
  ports: Readonly<Record<string, readonly (readonly string[])[]>>,
): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const [rawVtep, list] of Object.entries(ports)) {
    const vtep = assertIp(rawVtep);
    if (ipFamily(vtep) !== ipFamily(ctx.tunnelIp)) {
      throw new AgentCommandError(
        'address_family',
        `VTEP ${vtep} is not in the family of local ${ctx.tunnelIp}`,
      );
    }
    if (vtep === ctx.tunnelIp)
      throw new AgentCommandError('self_vtep', `entries point at this agent's own VTEP ${vtep}`);
    for (const [mac, ip] of list) {
      if (mac === FLOODING_MAC && ip === FLOODING_IP) out.push({ vtep, mac: FLOODING_MAC, ip: FLOODING_IP });
      else out.push({ vtep, mac: assertMac(mac), ip: assertIp(ip) });
    }
  }
  return out;
}

type FdbRecord = Readonly<
  Record<string, { segment_id: number; network_type: string; ports: Record<string, string[][]> }>
>;

function entriesOfRecord(ctx: Context, networkType: string, fdb: FdbRecord): FdbEntry[] {
  const keys = Object.keys(fdb);
  if (keys.length !== 1 || keys[0] !== ctx.networkId) {
    throw new AgentCommandError(
      'network_mismatch',
      `payload names networks ${JSON.stringify(keys.slice(0, 3))}, command is for ${ctx.networkId}`,
    );
  }
  const body = fdb[ctx.networkId];
  if (!body || body.segment_id !== ctx.vni || body.network_type !== networkType) {
    throw new AgentCommandError(
      'segment_mismatch',
      `payload segment ${body?.network_type}/${body?.segment_id} differs from ${networkType}/${ctx.vni}`,
    );
  }
  return entriesOf(ctx, body.ports);
}

const cut = (v: unknown): string => (typeof v === 'string' ? v : String(JSON.stringify(v))).slice(0, 64);

function refusal(
  code: AgentRejectionCode,
  vtep: unknown,
  mac: unknown,
  ip: unknown,
  reason: string,
): RefusedEntry {
  return {
    code,
    vtep: cut(vtep),
    mac: mac === null ? null : cut(mac),
    ip: ip === null ? null : cut(ip),
    reason,
  };
}

/**
 * A MAC sits behind one VTEP and an IP has one MAC: the kernel can hold nothing else. The first
 * entry in command order (payload, VTEP key and list order; snapshot parts by index) keeps the MAC
 * or IP; a later entry that contradicts it is refused, so the result never depends on timing.
 */
export function keepConsistentEntries(entries: readonly FdbEntry[], refused: RefusedEntry[]): FdbEntry[] {
  const macAt = new Map<string, string>();
  const ipOf = new Map<string, string>();
  const kept: FdbEntry[] = [];
  for (const e of entries) {
    if (e.mac === FLOODING_MAC) {
      kept.push(e);
      continue;
    }
    const vtep = macAt.get(e.mac);
    if (vtep !== undefined && vtep !== e.vtep) {
      refused.push(refusal('duplicate_mac', e.vtep, e.mac, e.ip, `${e.mac} is already behind ${vtep}`));
      continue;
    }
    const mac = ipOf.get(e.ip);
    if (mac !== undefined && mac !== e.mac) {
      refused.push(refusal('duplicate_ip', e.vtep, e.mac, e.ip, `${e.ip} already belongs to ${mac}`));
      continue;
    }
    macAt.set(e.mac, e.vtep);
    ipOf.set(e.ip, e.mac);
    kept.push(e);
  }
  return kept;
}

/** Why the agent cannot program entries behind `vtep`, or null. */
function vtepProblem(vtep: string, tunnelIp: string): RefusedEntry | null {
  let ip: string;
  try {
    ip = assertIp(vtep);
  } catch (err) {
    return refusal('invalid_ip', vtep, null, null, `VTEP: ${(err as AgentCommandError).message}`);
  }
  if (ipFamily(ip) !== ipFamily(tunnelIp))
    return refusal(
      'address_family',
      vtep,
      null,
      null,
      `VTEP ${ip} is not in the family of local ${tunnelIp}`,
    );
  if (ip === tunnelIp) return refusal('self_vtep', vtep, null, null, `VTEP ${ip} is this agent's own`);
  return null;
}

/** Why the agent cannot program `[mac, ip]`, or null. */
function entryProblem(
  mac: string,
  ip: string,
  allowFlood: boolean,
): Omit<RefusedEntry, 'vtep' | 'mac' | 'ip'> | null {
  if (mac === FLOODING_MAC) {
    if (!allowFlood)
      return { code: 'invalid_flooding_entry', reason: 'chg_ip cannot carry the flooding entry' };
    return ip === FLOODING_IP
      ? null
      : { code: 'invalid_flooding_entry', reason: `the flooding entry carries IP ${cut(ip)}` };
  }
  try {
    assertMac(mac);
    assertIp(ip);
    return null;
  } catch (err) {
    const e = err as AgentCommandError;
    return { code: e.code, reason: e.message };
  }
}

const isPair = (e: unknown): e is [string, string] =>
  Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string';

/**
 * Drops from one `{vtep: [[mac, ip], ...]}` record every entry the agent cannot program and lists
 * it in `refused`. Anything not shaped like an entry is left for the schema, which refuses the
 * whole command: a wrong shape is a broken envelope, not a bad fact.
 */
function screenPorts(
  ports: unknown,
  tunnelIp: string,
  allowFlood: boolean,
  refused: RefusedEntry[],
): unknown {
  if (!isObject(ports) || Array.isArray(ports)) return ports;
  const out: [string, unknown][] = [];
  for (const [vtep, list] of Object.entries(ports)) {
    const bad = vtepProblem(vtep, tunnelIp);
    if (!Array.isArray(list) || (bad && !list.every(isPair))) {
      out.push([vtep, list]);
      continue;
    }
    if (bad && list.length === 0) refused.push(bad);
    const kept: unknown[] = [];
    for (const e of list) {
      if (!isPair(e)) kept.push(e);
      else if (bad) refused.push({ ...bad, mac: cut(e[0]), ip: cut(e[1]) });
      else {
        const problem = entryProblem(e[0], e[1], allowFlood);
        if (problem) refused.push({ ...problem, vtep: cut(vtep), mac: cut(e[0]), ip: cut(e[1]) });
        else kept.push(e);
      }
    }
    if (!bad) out.push([vtep, kept]);
  }
  return Object.fromEntries(out);
}

function screenFdb(fdb: unknown, tunnelIp: string, refused: RefusedEntry[]): unknown {
  if (!isObject(fdb) || Array.isArray(fdb)) return fdb;
  return Object.fromEntries(
    Object.entries(fdb).map(([net, body]) => [
      net,
      isObject(body) && !Array.isArray(body) && Object.hasOwn(body, 'ports')
        ? { ...body, ports: screenPorts(body.ports, tunnelIp, true, refused) }
        : body,
    ]),
  );
}

function screenChange(change: unknown, tunnelIp: string, refused: RefusedEntry[]): unknown {
  if (!isObject(change) || Array.isArray(change)) return change;
  const out: [string, unknown][] = [];
  for (const [vtep, sides] of Object.entries(change)) {
    if (!isObject(sides) || Array.isArray(sides)) {
      out.push([vtep, sides]);
      continue;
    }
    const screened: Raw = { ...sides };
    for (const side of ['before', 'after'] as const) {
      if (!Object.hasOwn(sides, side)) continue;
      const one = screenPorts({ [vtep]: sides[side] }, tunnelIp, false, refused) as Raw;
      if (!Object.hasOwn(one, vtep)) delete screened[side];
      else screened[side] = one[vtep];
    }
    out.push([vtep, screened]);
  }
  return Object.fromEntries(out);
}

/**
 * The entry-level pass, before the schema: every well-shaped `[mac, ip]` the agent cannot program
 * (a malformed or unusable MAC or IP, a bad flooding entry, a VTEP that is invalid, of the other
 * family or this agent's own) leaves the command and is listed in `refused`. What remains is
 * checked as strictly as before, so an envelope problem still refuses the whole command.
 */
function screenEntries(raw: Raw, tunnelIp: string, refused: RefusedEntry[]): Raw {
  if (raw.kind === 'snapshot') return { ...raw, fdb_entries: screenFdb(raw.fdb_entries, tunnelIp, refused) };
  if (raw.kind !== 'delta' || !Array.isArray(raw.payloads)) return raw;
  const payloads = raw.payloads.map((p: unknown) => {
    if (!isObject(p) || Array.isArray(p)) return p;
    if (p.method === 'add_fdb_entries' || p.method === 'remove_fdb_entries')
      return { ...p, fdb_entries: screenFdb(p.fdb_entries, tunnelIp, refused) };
    const chg = valueAt(p, ['fdb_entries', 'chg_ip']);
    if (p.method !== 'update_fdb_entries' || !isObject(chg) || Array.isArray(chg)) return p;
    const nets = Object.entries(chg).map(([net, change]) => [net, screenChange(change, tunnelIp, refused)]);
    return { ...p, fdb_entries: { ...(p.fdb_entries as Raw), chg_ip: Object.fromEntries(nets) } };
  });
  return { ...raw, payloads };
}

function validate(cmd: AgentCommand, tunnelIp: string, refused: RefusedEntry[]): ValidatedCommand {
  if (cmd.kind === 'leave') return { kind: 'leave', networkId: cmd.networkId, version: cmd.version };
  if (cmd.segment.networkType !== 'vxlan') {
    throw new AgentCommandError(
      'unsupported_network_type',
      `this agent only l2pops vxlan, not ${cmd.segment.networkType}`,
    );
  }
  const ctx: Context = { networkId: cmd.networkId, vni: assertVni(cmd.segment.segmentId), tunnelIp };
  if (cmd.kind === 'snapshot') {
    if (cmd.part.index >= cmd.part.count) {
      throw new AgentCommandError('invalid_snapshot_part', `part ${cmd.part.index} of ${cmd.part.count}`);
    }
    const entries = entriesOfRecord(ctx, 'vxlan', cmd.fdb_entries);
    if (entries.length > MAX_COMMAND_ENTRIES)
      throw new AgentCommandError('limit_exceeded', `${entries.length} entries in one part`);
    return {
      kind: 'snapshot',
      networkId: cmd.networkId,
      version: cmd.version,
      vni: ctx.vni,
      part: cmd.part,
      entries: keepConsistentEntries(entries, refused),
      refused,
      localPorts: cmd.localPorts ?? [],
    };
  }
  const steps: PayloadStep[] = cmd.payloads.map((p): PayloadStep => {
    if (p.method !== 'update_fdb_entries') {
      const entries = entriesOfRecord(ctx, 'vxlan', p.fdb_entries);
      if (p.method === 'add_fdb_entries')
        return { kind: 'add', entries: keepConsistentEntries(entries, refused) };
      return { kind: 'remove', entries };
    }
    const keys = Object.keys(p.fdb_entries.chg_ip);
    if (keys.length !== 1 || keys[0] !== ctx.networkId) {
      throw new AgentCommandError(
        'network_mismatch',
        `chg_ip names networks ${JSON.stringify(keys.slice(0, 3))}`,
      );
    }
    const before: FdbEntry[] = [];
    const after: FdbEntry[] = [];
    for (const [vtep, change] of Object.entries(p.fdb_entries.chg_ip[ctx.networkId] ?? {})) {
      before.push(...entriesOf(ctx, { [vtep]: change.before ?? [] }));
      after.push(...entriesOf(ctx, { [vtep]: change.after ?? [] }));
    }
    if ([...before, ...after].some((e) => e.mac === FLOODING_MAC)) {
      throw new AgentCommandError('invalid_flooding_entry', 'chg_ip cannot carry the flooding entry');
    }
    return { kind: 'chg_ip', before, after };
  });
  const total = steps.reduce(
    (n, s) => n + (s.kind === 'chg_ip' ? s.before.length + s.after.length : s.entries.length),
    0,
  );
  if (total > MAX_COMMAND_ENTRIES)
    throw new AgentCommandError('limit_exceeded', `${total} entries in one delta`);
  return {
    kind: 'delta',
    networkId: cmd.networkId,
    version: cmd.version,
    base: cmd.base,
    vni: ctx.vni,
    steps,
    refused,
    ...(cmd.localPorts ? { localPorts: cmd.localPorts } : {}),
  };
}

/**
 * Parses one message body into a command the agent may apply, or throws an AgentCommandError whose
 * code names the first problem. Checks run in order of cost: size, JSON, envelope version, schema,
 * then the agent's own rules (VNI range, one network per payload). Entry-level problems (a bad MAC,
 * IP, flooding entry or VTEP, a MAC behind two VTEPs, an IP with two MACs) drop that entry only and
 * list it in the command's `refused`: one bad fact never blocks the rest of its network.
 */
export function parseAgentCommandBody(body: string, tunnelIp: string): ValidatedCommand {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_COMMAND_BYTES)
    throw new AgentCommandError('oversized', `${bytes} bytes; the limit is ${MAX_COMMAND_BYTES}`);
  let raw: unknown;
  let forbidden = false;
  try {
    raw = JSON.parse(body, (key, value: unknown) => {
      if (key === '__proto__') forbidden = true;
      return value;
    });
  } catch (err) {
    throw new AgentCommandError(
      'malformed_json',
      `body is not JSON: ${(err as Error).message.slice(0, 100)}`,
      {},
      err,
    );
  }
  // zod silently drops a `__proto__` record key, which would turn a hostile payload into an empty,
  // valid one; no genuine command carries that key, so refuse it outright.
  if (forbidden) throw new AgentCommandError('forbidden_key', 'body contains a "__proto__" key');
  if (!isObject(raw) || Array.isArray(raw))
    throw new AgentCommandError('invalid_command', 'body is not a JSON object');
  if (raw.v !== 1)
    throw new AgentCommandError(
      'unsupported_version',
      `command version ${JSON.stringify(raw.v)?.slice(0, 20)} (expected 1)`,
    );
  const refused: RefusedEntry[] = [];
  const screened = screenEntries(raw, tunnelIp, refused);
  const parsed = agentCommandSchema.safeParse(screened);
  if (!parsed.success) rejectSchema(parsed.error, screened);
  return validate(parsed.data, tunnelIp, refused);
}

/** The network a refused body names, when it names one as a valid id (never trusted further). */
export function networkIdOfBody(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { networkId?: unknown } | null)?.networkId;
    return idSchema.safeParse(id).success ? (id as string) : undefined;
  } catch {
    return undefined;
  }
}
