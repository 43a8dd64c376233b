import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, folderOf, importGraph } from './import-graph.js';

/** The folder layout of docs/architecture.md: src/ ships, tools/ is the local tooling, test/ is tests. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIRS = ['src', 'functions', 'agent', 'tools', 'scripts', 'bin', 'infra', 'test'];
const graph = importGraph(ROOT, DIRS);
const show = (edges: readonly { from: string; to: string }[]) => edges.map((e) => `${e.from} -> ${e.to}`);

describe('folder layout', () => {
  it('reads a graph of the size of the project', () => {
    // guards the scanner itself: an empty graph would pass every rule below
    expect(graph.length).toBeGreaterThan(500);
    expect(graph).toContainEqual({ from: 'tools/cli/main.ts', to: 'src/cli/main.ts' });
  });

  it('nothing outside test/ imports from test/', () => {
    expect(show(graph.filter((e) => !e.from.startsWith('test/') && e.to.startsWith('test/')))).toEqual([]);
  });

  it('what ships (src/, functions/, agent/) never imports tools/, scripts/ or test/', () => {
    const ships = /^(src|functions|agent)\//;
    const outside = /^(tools|scripts|test|bench)\//;
    expect(show(graph.filter((e) => ships.test(e.from) && outside.test(e.to)))).toEqual([]);
  });

  it('the tools/ folders import each other without a cycle', () => {
    const edges = graph
      .filter((e) => e.from.startsWith('tools/') && e.to.startsWith('tools/'))
      .map((e) => [folderOf(e.from, 2), folderOf(e.to, 2)] as const);
    expect(cycles(edges)).toEqual([]);
  });

  it('finds a cycle between folders, and none in a chain', () => {
    // the detector on a graph with a known answer, so a broken detector cannot pass the rule above
    expect(
      cycles([
        ['tools/sim', 'tools/replay'],
        ['tools/replay', 'tools/sim'],
        ['tools/cli', 'tools/sim'],
        ['tools/cli', 'tools/cli'],
      ]),
    ).toEqual([['tools/replay', 'tools/sim']]);
    expect(
      cycles([
        ['tools/cli', 'tools/sim'],
        ['tools/sim', 'tools/replay'],
        ['tools/cli', 'tools/replay'],
      ]),
    ).toEqual([]);
  });
});
