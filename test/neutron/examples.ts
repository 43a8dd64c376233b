import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { traceSchema } from '../../tools/replay/trace.js';
import { foldNotifications } from './fold.js';
import { NeutronSim } from './model.js';
import { type Notification, notificationSchema, ORACLE_EXAMPLES, type OracleResult } from './oracle.js';

/** The namespace of the traces' default ids (docs/trace-format.md; `ID_NAMESPACE` of the harness). */
const ORACLE_NS = '6b1e1f5e-3c1e-4c7a-9a53-2f6c0a1d0001';

/** RFC 4122 version-5 UUID, as Python's `uuid.uuid5`. */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function renameNetworks(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameNetworks(v, names));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [names.get(k) ?? k, renameNetworks(v, names)]),
    );
  }
  return typeof value === 'string' ? (names.get(value) ?? value) : value;
}

export interface StoredExample {
  readonly name: string;
  readonly trace: unknown;
  /** The stored output, with network ids renamed and folded like `--state` would. No `--trace` lines. */
  readonly oracle: OracleResult;
}

/**
 * Reads `test/fixtures/neutron-examples/NN_*.json` with its stored `.out.json` (the harness's
 * default output: messages with network ids, no `--state`, no `--names`) and folds it into the shape of a `--state --names` run, so the examples cost no
 * oracle run.
 */
export function loadStoredExamples(dir = ORACLE_EXAMPLES): StoredExample[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.out.json'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.json$/, '');
      const raw: unknown = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const trace = traceSchema.parse(raw);
      const names = new Map(
        trace.networks.map((n) => [n.id ?? uuid5(ORACLE_NS, `network:${n.name}`), n.name]),
      );
      const out: unknown = JSON.parse(readFileSync(join(dir, `${name}.out.json`), 'utf8'));
      const notifications: Notification[] = z.array(notificationSchema).parse(renameNetworks(out, names));
      const { sim } = NeutronSim.fromTrace(raw);
      for (const step of trace.steps) sim.apply(step);
      const hosts = [...sim.agents.keys()].sort();
      const fold = foldNotifications(
        notifications,
        hosts,
        new Map([...sim.agents.values()].map((a) => [a.host, a.tunnelIp])),
      );
      return { name, trace: raw, oracle: { notifications, fdb: fold.fdb(), trace: [], durationMs: 0 } };
    });
}
