import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in the project root to its end (the CLI as a user runs it, in its own process). */
export function runCli(
  command: string,
  args: readonly string[],
  timeoutMs = 60_000,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => void (stdout += d));
    child.stderr.on('data', (d) => void (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `node bin/l2pop.mjs ...`: what `npx l2pop` runs, without npx's own start-up. */
export const l2pop = (
  args: readonly string[],
  timeoutMs?: number,
  env?: Readonly<Record<string, string | undefined>>,
) => runCli(process.execPath, [path.join(ROOT, 'bin/l2pop.mjs'), ...args], timeoutMs, env);

/** Starts a long-running CLI command and collects its output as it comes. */
export function startCli(args: readonly string[]): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
} {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/l2pop.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => void (stdout += d));
  child.stderr?.on('data', (d) => void (stderr += d));
  return { child, output: () => ({ stdout, stderr }) };
}
