import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleDependencies } from '../../scripts/ensure-deps.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(pins: Record<string, string>, installed: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'l2pop-deps-'));
  dirs.push(root);
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ dependencies: pins, devDependencies: {} }));
  for (const [name, version] of Object.entries(installed)) {
    mkdirSync(path.join(root, 'node_modules', name), { recursive: true });
    writeFileSync(path.join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, version }));
  }
  return root;
}

describe('ensure-deps (the quick start on a fresh clone)', () => {
  it('names every direct dependency that is missing or installed at another version than its pin', () => {
    const root = project(
      { zod: '4.6.7', '@middy/core': '6.4.5', yaml: '2.9.1' },
      { zod: '4.6.7', '@middy/core': '6.4.4' },
    );
    expect(staleDependencies(root)).toEqual(['@middy/core', 'yaml']);
  });

  it('finds nothing to install when every pin is installed, as in this checkout after npm ci', () => {
    expect(staleDependencies(project({ zod: '4.6.7' }, { zod: '4.6.7' }))).toEqual([]);
    expect(staleDependencies()).toEqual([]);
  });
});
