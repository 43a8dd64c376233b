import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import {
  ORACLE_PYTHON,
  ORACLE_SCRIPT,
  OracleError,
  type OracleResult,
  stateSchema,
  traceLineSchema,
} from './oracle.js';

const replySchema = z.union([
  z.object({
    ok: z.literal(true),
    doc: stateSchema,
    trace: z.array(traceLineSchema),
    errors: z.array(z.string()),
  }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

/** Runs traces through the oracle, one at a time, at most `jobs` at once. */
export interface OraclePool {
  run(trace: unknown): Promise<OracleResult>;
  close(): void;
}

export interface OraclePoolOptions {
  readonly jobs: number;
  /** Per trace; the worker is killed and restarted when it runs out. */
  readonly timeoutMs?: number;
}

interface Worker {
  child: ChildProcessWithoutNullStreams;
  stderr: string;
  pending: ((line: string | null) => void) | null;
}

function startWorker(): Worker {
  const child = spawn(ORACLE_PYTHON, [ORACLE_SCRIPT, '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const w: Worker = { child, stderr: '', pending: null };
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    w.stderr = (w.stderr + d).slice(-8000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const resolve = w.pending;
    w.pending = null;
    resolve?.(line);
  });
  child.on('close', () => {
    const resolve = w.pending;
    w.pending = null;
    resolve?.(null);
  });
  child.on('error', () => {
    // 'close' follows and answers the pending request
  });
  child.stdin.on('error', () => {
    // the process died; 'close' reports it
  });
  return w;
}

/**
 * A pool of `oracle-harness --batch` workers: the same Neutron code path as `runOracle` (one
 * process per trace), but
 * Neutron's test machinery is imported once per worker instead of once per trace, which takes a
 * trace from ~8-13 s to ~1-4 s. Each trace still gets a fresh test case and in-memory DB.
 */
export function createOraclePool(options: OraclePoolOptions): OraclePool {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const idle: (Worker | null)[] = Array.from({ length: Math.max(1, options.jobs) }, () => null);
  const waiting: ((slot: number) => void)[] = [];
  const free: number[] = idle.map((_, i) => i);

  const acquire = (): Promise<number> => {
    const slot = free.pop();
    return slot === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(slot);
  };
  const release = (slot: number) => {
    const next = waiting.shift();
    if (next) next(slot);
    else free.push(slot);
  };

  async function runOn(slot: number, trace: unknown): Promise<OracleResult> {
    let w = idle[slot];
    if (!w || w.child.exitCode !== null || w.child.killed) {
      w = startWorker();
      idle[slot] = w;
    }
    const worker = w;
    const started = Date.now();
    const line = await new Promise<string | null | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      worker.pending = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
      worker.child.stdin.write(`${JSON.stringify(trace)}\n`);
    });
    const data = {
      exitCode: worker.child.exitCode,
      stderrTail: worker.stderr.slice(-3000),
      timedOut: line === 'timeout',
    };
    if (line === 'timeout' || line === null) {
      worker.child.kill('SIGKILL');
      idle[slot] = null;
      throw new OracleError(
        line === 'timeout' ? `oracle timed out after ${timeoutMs} ms` : 'oracle worker died',
        data,
      );
    }
    let reply: z.infer<typeof replySchema>;
    try {
      reply = replySchema.parse(JSON.parse(line));
    } catch (err) {
      throw new OracleError(`oracle output not understood: ${(err as Error).message}`, data, { cause: err });
    }
    if (!reply.ok)
      throw new OracleError(`oracle failed: ${reply.error.trimEnd().split('\n').slice(-3).join(' | ')}`, {
        ...data,
        stderrTail: reply.error,
      });
    return { ...reply.doc, trace: reply.trace, durationMs: Date.now() - started };
  }

  return {
    async run(trace) {
      const slot = await acquire();
      try {
        return await runOn(slot, trace);
      } finally {
        release(slot);
      }
    },
    close() {
      for (const w of idle) w?.child.stdin.end();
    },
  };
}
