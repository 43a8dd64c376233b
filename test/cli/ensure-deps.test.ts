import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build.mjs';
import {
  installCommand,
  pinnedNodeVersion,
  projectNode,
  staleDependencies,
} from '../../scripts/ensure-deps.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'l2pop-deps-'));
  dirs.push(dir);
  return dir;
}

function project(
  pins: Record<string, string>,
  installed: Record<string, string>,
  devPins: Record<string, string> = {},
): string {
  const root = tempDir();
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ dependencies: pins, devDependencies: devPins }),
  );
  for (const [name, version] of Object.entries(installed)) {
    mkdirSync(path.join(root, 'node_modules', name), { recursive: true });
    writeFileSync(path.join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
  }
  return root;
}

/**
 * A stand-in for `npm` and `npx` (the only mock here: a real `npm ci` takes minutes and the
 * registry). It logs its arguments, prints what npm prints (progress on stdout, warnings on
 * stderr), installs `zod` 4.6.7 and `node` 1.2.3 into the project, and exits with FAKE_NPM_EXIT.
 */
function fakeNpmBin(): string {
  const bin = tempDir();
  const script = [
    '#!/bin/sh',
    'echo "$(basename "$0") $*" >> "$FAKE_NPM_LOG"',
    'echo "npm warn deprecated some-package@1.0.0: no longer supported" >&2',
    'printf "\\nadded 3 packages in 2s\\n"',
    'mkdir -p node_modules/zod',
    'echo \'{"name":"zod","version":"4.6.7"}\' > node_modules/zod/package.json',
    'mkdir -p node_modules/node',
    'echo \'{"name":"node","version":"1.2.3"}\' > node_modules/node/package.json',
    'exit "$FAKE_NPM_EXIT"',
  ].join('\n');
  for (const name of ['npm', 'npx']) {
    writeFileSync(path.join(bin, name), script);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

/** Runs ensureDependencies(root) in a child process on this test's Node, with the fake npm first in PATH. */
function runEnsure(root: string, exitCode = 0) {
  const log = path.join(tempDir(), 'npm.log');
  writeFileSync(log, '');
  const module = pathToFileURL(path.join(ROOT, 'scripts/ensure-deps.mjs')).href;
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `(await import(${JSON.stringify(module)})).ensureDependencies(process.argv[1])`,
      root,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${fakeNpmBin()}${path.delimiter}${process.env.PATH}`,
        FAKE_NPM_LOG: log,
        FAKE_NPM_EXIT: String(exitCode),
      },
    },
  );
  return { ...r, calls: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

/** The machine's own `node`, found in PATH without the node_modules/.bin entries npm and vitest add. */
function machineNode(): string {
  const PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(path.delimiter);
  return execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8', env: { PATH } }).trim();
}

describe('ensure-deps (the quick start on a fresh clone)', () => {
  it('names every direct dependency that is missing or installed at another version than its pin', () => {
    const root = project(
      { zod: '4.6.7', '@middy/core': '7.9.2', yaml: '2.9.1' },
      { zod: '4.6.7', '@middy/core': '7.9.1' },
    );
    expect(staleDependencies(root)).toEqual(['@middy/core', 'yaml']);
  });

  it('finds nothing to install when every pin is installed, as in this checkout after npm ci', () => {
    expect(staleDependencies(project({ zod: '4.6.7' }, { zod: '4.6.7' }))).toEqual([]);
    expect(staleDependencies()).toEqual([]);
  });

  it('reads the exact Node pin and refuses a range', () => {
    expect(pinnedNodeVersion(project({}, {}, { node: '22.23.3' }))).toBe('22.23.3');
    expect(() => pinnedNodeVersion(project({}, {}, { node: '^22.0.0' }))).toThrow(
      /must pin devDependencies.node exactly \(found \^22.0.0\)/,
    );
    expect(() => pinnedNodeVersion(project({}, {}))).toThrow(/found none/);
  });

  it('runs npm ci under the pinned Node: directly on it, through npx -p node@<pin> from another', () => {
    expect(installCommand('22.23.3', 'v22.23.3')).toEqual({
      command: 'npm',
      args: ['ci', '--no-audit', '--no-fund'],
      pathPrefix: path.dirname(process.execPath),
    });
    expect(installCommand('22.23.3', 'v20.20.2')).toEqual({
      command: 'npx',
      args: ['--yes', '--package=node@22.23.3', '--', 'npm', 'ci', '--no-audit', '--no-fund'],
      pathPrefix: null,
    });
  });

  it('installs quietly: nothing on stdout, two lines on stderr with npm summary and warning count', () => {
    const root = project({ zod: '4.6.7' }, {}, { node: '1.2.3' });
    const r = runEnsure(root);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^l2pop: installing the pinned dependencies first \(npm ci on Node 1\.2\.3; .*: zod, node\)$/,
    );
    expect(lines[1]).toMatch(
      /^l2pop: dependencies installed \(added 3 packages in 2s; \d+ s; 1 lines of npm warnings, shown by `npm ci`\)$/,
    );
    expect(r.calls).toEqual(['npx --yes --package=node@1.2.3 -- npm ci --no-audit --no-fund']);
    expect(staleDependencies(root)).toEqual([]);
    // Installed: a second run does nothing and prints nothing.
    const again = runEnsure(root);
    expect([again.status, again.stdout, again.stderr, again.calls]).toEqual([0, '', '', []]);
  });

  it("on a failed install shows npm's output on stderr, never stdout, and exits with npm's code", () => {
    const r = runEnsure(project({ yaml: '2.9.1' }, {}, { node: '1.2.3' }), 7);
    expect(r.status).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('added 3 packages in 2s');
    expect(r.stderr).toContain('npm warn deprecated');
    expect(r.stderr).toMatch(/l2pop: npm ci failed \(exit 7\); see its output above\n$/);
  });

  it('runs the tests on the pinned Node, which node_modules/.bin/node is', () => {
    const pin = pinnedNodeVersion();
    expect(pin.split('.')[0]).toBe('22');
    expect(process.version).toBe(`v${pin}`);
    expect(execFileSync(projectNode(), ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${pin}`);
  });

  it("bin/l2pop started by the machine's Node runs the CLI on the pinned one, output unchanged", () => {
    const dir = tempDir();
    const probe = path.join(dir, 'probe.mjs');
    // Main threads only: tsx's loader runs --import modules again in its hooks thread.
    writeFileSync(
      probe,
      "import { isMainThread } from 'node:worker_threads';\nif (isMainThread) process.stderr.write('node ' + process.version + '\\n');\n",
    );
    const node = machineNode();
    const r = spawnSync(node, [path.join(ROOT, 'bin/l2pop.mjs'), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: l2pop /);
    const versions = r.stderr.split('\n').filter((l) => l.startsWith('node v'));
    const machine = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    const pinned = `node v${pinnedNodeVersion()}`;
    // The machine's Node re-executes the CLI on the pinned one; a machine already on it does not.
    expect(versions).toEqual(machine === `v${pinnedNodeVersion()}` ? [pinned] : [`node ${machine}`, pinned]);
  });
});
