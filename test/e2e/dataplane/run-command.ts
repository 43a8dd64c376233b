import { execFile } from 'node:child_process';

/** Where the harness's own binaries live; the harness never goes through a shell. */
export const HARNESS_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/** Runs one command (argument array, no shell) and resolves its stdout; rejects with stderr in the message. */
export function runCommand(argv: readonly string[], timeoutMs = 10_000): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('empty argv'));
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: HARNESS_ENV, timeout: timeoutMs, shell: false }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${argv.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve(String(stdout));
    });
  });
}

/** `ip -n NS ...`: iproute2's own namespace switch, one process instead of `ip netns exec`. */
export function ipIn(ns: string, ...args: string[]): Promise<string> {
  return runCommand(['ip', '-n', ns, ...args]);
}

/** Any program inside a namespace (`ip netns exec NS program ...`). */
export function execIn(ns: string, ...argv: string[]): Promise<string> {
  return runCommand(['ip', 'netns', 'exec', ns, ...argv]);
}

export async function commandExists(argv: readonly string[]): Promise<boolean> {
  try {
    await runCommand(argv, 5000);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | null | false,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
