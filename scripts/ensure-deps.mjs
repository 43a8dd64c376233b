// Makes the README's quick start work on a fresh clone: `npx l2pop local` and `npm run check`
// (its `precheck`) call this before anything imports a dependency. It runs `npm ci` when a
// direct dependency is missing from node_modules or installed at another version than the one
// package.json pins (every pin is exact), and does nothing otherwise (a few ms: one stat and one
// small read per dependency). Plain Node, no imports outside node:*, since it runs before them,
// and on whatever Node the machine has (20 here).
//
// The project runs on the Node that package.json pins as the devDependency `node` (the npm
// package that installs the official binary as node_modules/.bin/node). npm checks every
// package's `engines` against the Node that runs npm itself, so `npm ci` runs under that pinned
// Node: directly when this process already is it, else through `npx -p node@<pin>` (npx puts the
// binary first in PATH, and npm's `#!/usr/bin/env node` picks it up).
//
// Quiet: npm's own output is kept and shown (on stderr) only if the install fails. stdout stays
// the product's, so `l2pop replay --json` on a fresh clone prints only its JSON.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function readPackage(root) {
  const pkg = readJson(path.join(root, 'package.json'));
  if (!pkg) throw new Error(`ensure-deps: cannot read ${path.join(root, 'package.json')}`);
  return pkg;
}

/** The direct dependencies whose installed version differs from the pin (absent ones included). */
export function staleDependencies(root = ROOT) {
  const pkg = readPackage(root);
  const pins = { ...pkg.dependencies, ...pkg.devDependencies };
  return Object.entries(pins)
    .filter(([name, pin]) => readJson(path.join(root, 'node_modules', name, 'package.json'))?.version !== pin)
    .map(([name]) => name);
}

/** The Node version the project runs on: the exact pin of the devDependency `node`. */
export function pinnedNodeVersion(root = ROOT) {
  const pin = readPackage(root).devDependencies?.node;
  if (!pin || !/^\d+\.\d+\.\d+$/.test(pin)) {
    throw new Error(
      `ensure-deps: package.json must pin devDependencies.node exactly (found ${pin ?? 'none'})`,
    );
  }
  return pin;
}

/** The pinned Node binary in node_modules (it exists once the dependencies are installed). */
export function projectNode(root = ROOT) {
  return path.join(root, 'node_modules', '.bin', 'node');
}

/** The command that runs `npm ci` under the pinned Node, from a process running on `version`. */
export function installCommand(pin, version = process.version) {
  const ci = ['ci', '--no-audit', '--no-fund'];
  if (version === `v${pin}`) return { command: 'npm', args: ci, pathPrefix: path.dirname(process.execPath) };
  return { command: 'npx', args: ['--yes', `--package=node@${pin}`, '--', 'npm', ...ci], pathPrefix: null };
}

/** npm's closing summary ("added 480 packages in 1m"), for the one line reported on success. */
function summary(output) {
  const lines = output.split('\n').filter((l) => /^(added|removed|changed|up to date)\b/.test(l));
  return lines.at(-1)?.trim() ?? 'done';
}

/**
 * Runs `npm ci` under the pinned Node if needed, reporting in two lines on stderr; on failure it
 * prints npm's output to stderr and exits the process with npm's code.
 */
export function ensureDependencies(root = ROOT) {
  const stale = staleDependencies(root);
  if (stale.length === 0) return;
  const pin = pinnedNodeVersion(root);
  const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? `, and ${stale.length - 5} more` : '');
  process.stderr.write(
    `l2pop: installing the pinned dependencies first (npm ci on Node ${pin}; missing or other version: ${shown})\n`,
  );
  const { command, args, pathPrefix } = installCommand(pin);
  const env = { ...process.env };
  if (pathPrefix) env.PATH = `${pathPrefix}${path.delimiter}${env.PATH ?? ''}`;
  const started = Date.now();
  const npm = spawnSync(command, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${npm.stdout ?? ''}${npm.stderr ?? ''}`;
  if (npm.status !== 0) {
    process.stderr.write(output);
    process.stderr.write(
      `l2pop: npm ci failed (exit ${npm.status ?? npm.signal ?? npm.error?.message}); see its output above\n`,
    );
    process.exit(npm.status || 1);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const warnings = output.split('\n').filter((l) => l.startsWith('npm warn')).length;
  const warned = warnings > 0 ? `; ${warnings} lines of npm warnings, shown by \`npm ci\`` : '';
  process.stderr.write(`l2pop: dependencies installed (${summary(output)}; ${seconds} s${warned})\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) ensureDependencies();
