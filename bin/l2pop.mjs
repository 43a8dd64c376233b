#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, on the Node that package.json pins (the
// devDependency `node`). On a fresh clone it first installs the pinned dependencies
// (scripts/ensure-deps.mjs), so the README's `npx l2pop local` is one command; if the machine's
// Node is another version, it then runs itself again under node_modules/.bin/node, with that
// binary's directory first in PATH so that every child process runs on it too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies, pinnedNodeVersion, projectNode } from '../scripts/ensure-deps.mjs';

ensureDependencies();
if (process.version !== `v${pinnedNodeVersion()}`) {
  const node = projectNode();
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env,
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`l2pop: cannot start ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../tools/cli/main.ts');
  process.exitCode = await main(process.argv);
}
