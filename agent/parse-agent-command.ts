import type { z } from 'zod';
import { type AgentCommand, agentCommandSchema } from '../src/contracts/commands.js';
import { macSchema } from '../src/contracts/primitives.js';
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

/** A command that passed every check: only canonical MACs, IPs and a VNI in range are left. */
export type ValidatedCommand =
  | {
      readonly kind: 'delta';
      readonly networkId: string;
      readonly version: number;
      readonly base: number;
      readonly vni: number;
      readonly steps: readonly PayloadStep[];
    }
  | {
      readonly kind: 'snapshot';
      readonly networkId: string;
      readonly version: number;
      readonly vni: number;
      readonly part: { readonly index: number; readonly count: number };
      readonly entries: readonly FdbEntry[];
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

/** A MAC sits behind one VTEP and an IP has one MAC: the kernel can hold nothing else. */
export function assertConsistentEntries(entries: readonly FdbEntry[]): void {
  const macAt = new Map<string, string>();
  const ipOf = new Map<string, string>();
  for (const e of entries) {
    if (e.mac === FLOODING_MAC) continue;
    const vtep = macAt.get(e.mac);
    if (vtep !== undefined && vtep !== e.vtep)
      throw new AgentCommandError('duplicate_mac', `${e.mac} is behind both ${vtep} and ${e.vtep}`);
    macAt.set(e.mac, e.vtep);
    const mac = ipOf.get(e.ip);
    if (mac !== undefined && mac !== e.mac)
      throw new AgentCommandError('duplicate_ip', `${e.ip} belongs to both ${mac} and ${e.mac}`);
    ipOf.set(e.ip, e.mac);
  }
}

function validate(cmd: AgentCommand, tunnelIp: string): ValidatedCommand {
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
    assertConsistentEntries(entries);
    return {
      kind: 'snapshot',
      networkId: cmd.networkId,
      version: cmd.version,
      vni: ctx.vni,
      part: cmd.part,
      entries,
    };
  }
  const steps: PayloadStep[] = cmd.payloads.map((p): PayloadStep => {
    if (p.method !== 'update_fdb_entries') {
      const entries = entriesOfRecord(ctx, 'vxlan', p.fdb_entries);
      if (p.method === 'add_fdb_entries') assertConsistentEntries(entries);
      return { kind: p.method === 'add_fdb_entries' ? 'add' : 'remove', entries };
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
  };
}

/**
 * Parses one message body into a command the agent may apply, or throws an AgentCommandError whose
 * code names the first problem. Checks run in order of cost: size, JSON, envelope version, schema,
 * then the agent's own rules (VNI range, one network per payload, address family, uniqueness).
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
  const parsed = agentCommandSchema.safeParse(raw);
  if (!parsed.success) rejectSchema(parsed.error, raw);
  return validate(parsed.data, tunnelIp);
}
