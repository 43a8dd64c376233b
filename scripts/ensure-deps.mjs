// Makes the README's quick start work on a fresh clone: `npx l2pop local` and `npm run check`
// (its `precheck`) call this before anything imports a dependency. It runs `npm ci` when a
// direct dependency is missing from node_modules or installed at another version than the one
// package.json pins (every pin is exact), and does nothing otherwise (a few ms: one stat and one
// small read per dependency). Plain Node, no imports outside node:*, since it runs before them.
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

/** The direct dependencies whose installed version differs from the pin (absent ones included). */
export function staleDependencies(root = ROOT) {
  const pkg = readJson(path.join(root, 'package.json'));
  if (!pkg) throw new Error(`ensure-deps: cannot read ${path.join(root, 'package.json')}`);
  const pins = { ...pkg.dependencies, ...pkg.devDependencies };
  return Object.entries(pins)
    .filter(([name, pin]) => readJson(path.join(root, 'node_modules', name, 'package.json'))?.version !== pin)
    .map(([name]) => name);
}

/** Runs `npm ci` if needed; exits the process with npm's code if the install fails. */
export function ensureDependencies(root = ROOT) {
  const stale = staleDependencies(root);
  if (stale.length === 0) return;
  const shown = stale.slice(0, 5).join(', ') + (stale.length > 5 ? `, and ${stale.length - 5} more` : '');
  process.stderr.write(
    `l2pop: installing the pinned dependencies first (npm ci; missing or other version: ${shown})\n`,
  );
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (npm.status !== 0) {
    process.stderr.write(`l2pop: npm ci failed (exit ${npm.status ?? npm.signal}); see its output above\n`);
    process.exit(npm.status || 1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) ensureDependencies();
