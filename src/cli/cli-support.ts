import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { STRATEGIES, type Strategy } from '../core/types.js';

/** Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input (sysexits-like, documented in --help). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Bad usage or input the user can fix: exit code 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The work ran and its answer is "no" (a difference, a wait that timed out): exit code 1. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

/** Where a command writes: stdout for results, stderr for progress and diagnostics. */
export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** Colour escapes when stdout is a terminal and NO_COLOR is unset. */
  readonly color: boolean;
  /** The command line as typed (`npx l2pop local --out x`), for "reproduce with". */
  readonly invocation: string;
}

export function parseStrategy(value: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${STRATEGIES.join(', ')}`);
  }
  return value as Strategy;
}

export function parseStrategies(value: string): Strategy[] {
  const list = value.split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => s === ''))
    throw new InvalidArgumentError('expected a comma-separated list');
  return [...new Set(list.map(parseStrategy))];
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function parsePort(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n < 1 || n > 65535) throw new InvalidArgumentError('expected a TCP port (1-65535)');
  return n;
}

export function parseUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return value.replace(/\/$/, '');
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL, e.g. http://127.0.0.1:4566');
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a file ("-": stdin) as text; a missing file is a usage error. */
export async function readText(path: string): Promise<string> {
  if (path === '-') return readStdin();
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory, expected a JSON file`);
    throw err;
  }
}

/** Parses JSON, or NDJSON (one value per line) when the whole text is not one JSON value. */
export function parseJsonOrLines(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > 1) {
      return lines.map((l, i) => {
        try {
          return JSON.parse(l);
        } catch (e) {
          throw new UsageError(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
        }
      });
    }
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export async function readJson(path: string): Promise<unknown> {
  return parseJsonOrLines(await readText(path), path);
}

export const paint = (io: CliIo, code: number, s: string) => (io.color ? `\u001b[${code}m${s}\u001b[0m` : s);

/**
 * What an input asks for that the controller will not act on (tools/sim/scenario-warnings.ts), on
 * stderr, one line each; `--json` output carries the same list as `warnings`.
 */
export function printWarnings(io: CliIo, warnings: readonly string[]): void {
  for (const w of warnings) io.err(`l2pop: warning: ${w}\n`);
}
