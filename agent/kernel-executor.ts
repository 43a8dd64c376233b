import { execFile, spawn } from 'node:child_process';
import { KernelCommandError } from './agent-error.js';
import type { KernelProgram } from './kernel-ops.js';
import { assertNetnsName } from './kernel-values.js';

/**
 * Runs iproute2. Only two programs exist, and arguments are always an array: no shell, ever.
 * `batch` feeds many commands of one program through `-batch -` in one process (about 1.5 ms per
 * process here, so a 6-operation failover costs 2 processes instead of 6).
 */
export interface KernelExecutor {
  /** Runs `program ...args`; resolves stdout, rejects with a KernelCommandError. */
  run(program: KernelProgram, args: readonly string[]): Promise<string>;
  /** Runs every line with `-force -batch -`; rejects with a KernelCommandError if any line failed. */
  batch(program: KernelProgram, lines: readonly (readonly string[])[]): Promise<void>;
}

/**
 * Last line of defence: every argument is a short token of letters, digits and `_.:/-`, or the
 * executor refuses to start a process. Validators upstream make this unreachable; it is here so a
 * future bug fails closed.
 */
const SAFE_ARG = /^[A-Za-z0-9_.:/-]{1,64}$/;

export function assertSafeArgs(args: readonly string[]): void {
  for (const a of args) {
    if (typeof a !== 'string' || !SAFE_ARG.test(a))
      throw new TypeError(`refusing unsafe iproute2 argument ${JSON.stringify(a)}`);
  }
}

export interface ExecFileExecutorOptions {
  /**
   * Run every command inside this network namespace: `ip -n NS ...` / `bridge -n NS ...`, which
   * enter it with setns(2) only, where `ip netns exec NS` would also unshare a mount namespace and
   * remount /sys for every command (about twice the cost per command on a loaded machine).
   */
  readonly netns?: string;
  /** Milliseconds before a command is killed. */
  readonly timeoutMs?: number;
}

const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/** The real executor: `execFile` with argument arrays and a fixed PATH. */
export function createExecFileExecutor(options: ExecFileExecutorOptions = {}): KernelExecutor {
  const netns = options.netns === undefined ? undefined : assertNetnsName(options.netns);
  const timeout = options.timeoutMs ?? 10_000;
  const argvOf = (program: KernelProgram, args: readonly string[]): [string, string[]] =>
    netns === undefined ? [program, [...args]] : [program, ['-n', netns, ...args]];

  return {
    run(program, args) {
      assertSafeArgs(args);
      const [file, argv] = argvOf(program, args);
      return new Promise((resolve, reject) => {
        execFile(
          file,
          argv,
          { env: ENV, timeout, maxBuffer: 64 * 1024 * 1024, shell: false },
          (err, stdout, stderr) => {
            if (err) {
              const code = typeof err.code === 'number' ? err.code : null;
              reject(new KernelCommandError([program, ...args], code, String(stderr), err));
            } else resolve(String(stdout));
          },
        );
      });
    },
    batch(program, lines) {
      for (const line of lines) assertSafeArgs(line);
      const [file, argv] = argvOf(program, ['-force', '-batch', '-']);
      return new Promise((resolve, reject) => {
        const child = spawn(file, argv, {
          env: ENV,
          timeout,
          shell: false,
          stdio: ['pipe', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => {
          if (stderr.length < 64 * 1024) stderr += d.toString();
        });
        child.on('error', (err) => reject(new KernelCommandError([program, '-batch'], null, stderr, err)));
        child.on('close', (code) => {
          if (code === 0) resolve();
          else reject(new KernelCommandError([program, '-batch', `(${lines.length} lines)`], code, stderr));
        });
        child.stdin.end(`${lines.map((l) => l.join(' ')).join('\n')}\n`);
      });
    },
  };
}

/** One recorded invocation of the fake executor. */
export interface RecordedCall {
  readonly program: KernelProgram;
  readonly args: readonly string[];
}

export interface RecordingExecutor extends KernelExecutor {
  /** Every command that reached the executor, batch lines one by one, in order. */
  readonly calls: RecordedCall[];
}

/**
 * The fake for unit tests: records argv and answers reads from `respond` (default: empty JSON
 * list). It applies the same argument check as the real one.
 */
export function createRecordingExecutor(
  respond: (program: KernelProgram, args: readonly string[]) => string = () => '[]',
): RecordingExecutor {
  const calls: RecordedCall[] = [];
  return {
    calls,
    async run(program, args) {
      assertSafeArgs(args);
      calls.push({ program, args: [...args] });
      return respond(program, args);
    },
    async batch(program, lines) {
      for (const line of lines) assertSafeArgs(line);
      for (const line of lines) calls.push({ program, args: [...line] });
    },
  };
}
