import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Debian's interpreter: a pyenv or venv python earlier on PATH cannot see python3-neutron. */
export const ORACLE_PYTHON = '/usr/bin/python3';
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The project's harness around Neutron's code (docs/neutron-oracle.md), run as `python3 DIR`. */
export const ORACLE_SCRIPT = resolve(REPO_ROOT, 'test/neutron/oracle-harness');
/** The oracle examples with Neutron's stored messages (test/fixtures/neutron-examples/README.md). */
export const ORACLE_EXAMPLES = resolve(REPO_ROOT, 'test/fixtures/neutron-examples');
/** What to run on a machine without Neutron (Debian bookworm's packages). */
export const NEUTRON_INSTALL_HINT =
  'apt-get install -y python3-neutron python3-oslotest python3-testtools python3-fixtures python3-testscenarios python3-ddt python3-webtest';

const entrySchema = z.tuple([z.string(), z.string()]);
const tableSchema = z.record(z.string(), z.array(entrySchema));
export const fdbSchema = z.record(z.string(), z.record(z.string(), tableSchema));
/** host -> network name -> tunnel IP -> sorted `[mac, ip]` list. */
export type Fdb = z.infer<typeof fdbSchema>;

export const portsPayloadSchema = z.record(
  z.string(),
  z.object({ network_type: z.string(), segment_id: z.number().int(), ports: tableSchema }).strict(),
);
export const chgIpPayloadSchema = z
  .object({
    chg_ip: z.record(
      z.string(),
      z.record(
        z.string(),
        z
          .object({ before: z.array(entrySchema).optional(), after: z.array(entrySchema).optional() })
          .strict(),
      ),
    ),
  })
  .strict();

export const notificationSchema = z.discriminatedUnion('method', [
  z.object({
    step: z.number().int(),
    op: z.string(),
    method: z.literal('add_fdb_entries'),
    target: z.string(),
    payload: portsPayloadSchema,
  }),
  z.object({
    step: z.number().int(),
    op: z.string(),
    method: z.literal('remove_fdb_entries'),
    target: z.string(),
    payload: portsPayloadSchema,
  }),
  z.object({
    step: z.number().int(),
    op: z.string(),
    method: z.literal('update_fdb_entries'),
    target: z.string(),
    payload: chgIpPayloadSchema,
  }),
]);
/** One l2pop RPC Neutron sent; `target` is `fanout` or a host name. Network ids are names (`--names`). */
export type Notification = z.infer<typeof notificationSchema>;

export const stateSchema = z.object({ notifications: z.array(notificationSchema), fdb: fdbSchema });

export const traceLineSchema = z.object({
  step: z.number().int(),
  op: z.string(),
  ports: z.record(z.string(), z.string()),
  ha: z.record(z.string(), z.array(z.string())).optional(),
});
export type OracleTraceLine = z.infer<typeof traceLineSchema>;

export interface OracleResult {
  readonly notifications: Notification[];
  readonly fdb: Fdb;
  /** The oracle's `--trace` lines: port binding/status/owner and HA states after every step. */
  readonly trace: OracleTraceLine[];
  readonly durationMs: number;
}

/** The oracle could not run a trace: a step raised, the process timed out, or its output was not understood. */
export class OracleError extends Error {
  override readonly name = 'OracleError';
  constructor(
    message: string,
    readonly data: { exitCode: number | null; stderrTail: string; timedOut: boolean },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OracleOptions {
  /** Kill the run after this long. A run takes about 8 s on an idle core; HA-heavy traces up to 30 s. */
  readonly timeoutMs?: number;
  readonly python?: string;
  readonly script?: string;
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs one trace through `oracle-harness --state --names --trace`: the real Neutron 21 l2pop
 * code in a fresh process with a fresh in-memory DB.
 */
export function runOracle(trace: unknown, options: OracleOptions = {}): Promise<OracleResult> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const started = Date.now();
  const args = [options.script ?? ORACLE_SCRIPT, '--state', '--names', '--trace'];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.python ?? ORACLE_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(
        new OracleError(
          `cannot start ${options.python ?? ORACLE_PYTHON}: ${err.message}`,
          { exitCode: null, stderrTail: '', timedOut },
          { cause: err },
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const data = { exitCode: code, stderrTail: tail(stderr), timedOut };
      if (timedOut) return reject(new OracleError(`oracle timed out after ${timeoutMs} ms`, data));
      if (code !== 0) return reject(new OracleError(`oracle exited with ${code}: ${tail(stderr, 3)}`, data));
      try {
        const parsed = stateSchema.parse(JSON.parse(stdout));
        const lines = stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => traceLineSchema.parse(JSON.parse(l)));
        resolvePromise({ ...parsed, trace: lines, durationMs: Date.now() - started });
      } catch (err) {
        reject(
          new OracleError(`oracle output not understood: ${(err as Error).message}`, data, { cause: err }),
        );
      }
    });
    child.stdin.on('error', () => {
      // The process died before reading its input; 'close' reports why.
    });
    child.stdin.end(JSON.stringify(trace));
  });
}

/**
 * Null when `/usr/bin/python3` can import Neutron and its unit-test base (which the harness builds
 * on); otherwise why not, naming the Debian packages to install.
 */
export function oracleUnavailableReason(python = ORACLE_PYTHON, script = ORACLE_SCRIPT): string | null {
  if (!existsSync(script)) return `oracle harness not found at ${script}`;
  if (!existsSync(python)) return `${python} not found: Debian's python3 is needed (${NEUTRON_INSTALL_HINT})`;
  const r = spawnSync(
    python,
    ['-c', 'import neutron, neutron_lib, testtools, neutron.tests.unit.plugins.ml2'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (r.status !== 0) {
    const why = tail(r.stderr ?? '', 1) || r.error?.message || 'unknown error';
    return `Debian's python3-neutron is not installed (${why}); as root: ${NEUTRON_INSTALL_HINT}`;
  }
  return null;
}
