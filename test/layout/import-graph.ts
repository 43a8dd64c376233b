import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One relative import: `from` imports `to`, both paths relative to the repository root. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

const SOURCE = /\.(ts|mts|cts|mjs|cjs|js)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'results', '.serverless', '.esbuild', '.local']);

/**
 * Every import, re-export, dynamic import() and require() with a relative string specifier,
 * type-only ones included (esbuild's metafile drops those, and TypeScript 7 has no JS API to ask).
 * A specifier ending in .js names the .ts file beside it, as NodeNext resolution does.
 */
const SPECIFIER = /\b(?:from|import|require)\s*\(?\s*(['"])(\.{1,2}\/[^'"]+)\1/g;

function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...sourceFiles(root, rel));
    } else if (SOURCE.test(e.name) && !e.name.endsWith('.d.mts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The relative imports of every source file under `dirs` (paths from `root`). */
export function importGraph(root: string, dirs: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const dir of dirs)
    for (const file of sourceFiles(root, dir)) {
      const text = readFileSync(path.join(root, file), 'utf8');
      for (const m of text.matchAll(SPECIFIER)) {
        const spec = m[2] ?? '';
        const to = path.posix
          .normalize(path.posix.join(path.posix.dirname(file), spec))
          .replace(/\.js$/, '.ts');
        edges.push({ from: file, to });
      }
    }
  return edges;
}

/** The folder a path belongs to at `depth` segments: `tools/sim/x.ts` at depth 2 is `tools/sim`. */
export function folderOf(file: string, depth: number): string {
  return file.split('/').slice(0, depth).join('/');
}

/**
 * The cycles of a directed graph, one per strongly connected component of more than one node
 * (Tarjan), each listed as its members, sorted. A self-loop is not a cycle here: a folder's files
 * may import each other.
 */
export function cycles(edges: readonly (readonly [string, string])[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const [a, b] of edges) {
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    if (!next.has(b)) next.set(b, new Set());
    next.get(a)?.add(b);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (;;) {
        const w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}
