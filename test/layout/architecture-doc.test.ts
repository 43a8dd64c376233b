import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHANGE_TABLE, type EngineRead, FULL_RECOMPUTE } from '../../src/core/engine.js';
import { folderOf, importGraph } from './import-graph.js';

/**
 * docs/architecture.md shows the change table and the folder layout as built: its change table
 * is `CHANGE_TABLE`'s, and its folder table names every tools/ folder with what it imports.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');

/** The rows of the first Markdown table after `marker`, as trimmed cells (header and rule dropped). */
function tableAfter(text: string, marker: string): string[][] {
  const from = text.indexOf(marker);
  if (from < 0) throw new Error(`docs/architecture.md has no ${JSON.stringify(marker)}`);
  const lines = text.slice(from).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  return lines.slice(first + 2, end < 0 ? undefined : end).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
}

const code = (names: readonly string[]) =>
  names.length ? names.map((n) => `\`${n}\``).join(', ') : 'nothing';

/** The change table as the code gives it, without the doc's own "sent by" column. */
function changeTableOfCode(): string[][] {
  const rows = Object.entries(CHANGE_TABLE).map(([kind, row]) => [
    `\`${kind}\``,
    row.carries,
    `\`${row.planner}\``,
    code(row.reads),
    code(row.readsWhen),
  ]);
  return [
    ...rows,
    ['*full recompute*', '', `\`${FULL_RECOMPUTE.planner}\``, code(FULL_RECOMPUTE.reads), 'nothing'],
  ];
}

const markdown = (rows: readonly string[][]) => rows.map((r) => `| ${r.join(' | ')} |`).join('\n');

describe('docs/architecture.md, the change table', () => {
  const doc = tableAfter(DOC, '## The engine: one planner, one change table');

  it('is CHANGE_TABLE: kinds, carries, planners and reads (the doc owns only "sent by")', () => {
    const withoutSentBy = doc.map(([kind = '', , ...rest]) => [kind, ...rest]);
    const expected = changeTableOfCode();
    expect(markdown(withoutSentBy), `the code's rows (without "sent by"):\n${markdown(expected)}`).toBe(
      markdown(expected),
    );
    for (const row of doc) expect(row[1], `${row[0]} says who sends it`).toMatch(/\S/);
  });

  it('explains every read the table names', () => {
    const reads = new Set<EngineRead>([
      ...Object.values(CHANGE_TABLE).flatMap((r) => [...r.reads, ...r.readsWhen]),
      ...FULL_RECOMPUTE.reads,
    ]);
    expect(reads.size).toBeGreaterThan(1);
    for (const read of reads) expect(DOC, read).toContain(`- \`${read}\`: `);
  });
});

describe('docs/architecture.md, the folder layout', () => {
  const rows = tableAfter(DOC, '## Folder layout');
  const folders = new Map(rows.map(([folder = '', , imports = '']) => [folder.replaceAll('`', ''), imports]));

  it('names every tools/ folder, and test/', () => {
    const tools = readdirSync(path.join(ROOT, 'tools'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `tools/${e.name}/`);
    expect(tools.length).toBeGreaterThan(4);
    expect([...folders.keys()].filter((f) => f.startsWith('tools/')).sort()).toEqual(tools.sort());
    expect(folders.has('test/')).toBe(true);
  });

  it('lists what each tools/ folder imports besides src/ and itself', () => {
    const actual = new Map<string, Set<string>>();
    for (const e of importGraph(ROOT, ['tools'])) {
      const from = `${folderOf(e.from, 2)}/`;
      if (e.to.startsWith('src/') || e.to.startsWith(from)) continue;
      const to = e.to.startsWith('tools/')
        ? `${folderOf(e.to, 2)}/`
        : e.to.startsWith('scripts/')
          ? e.to
          : `${folderOf(e.to, 1)}/`;
      actual.set(from, (actual.get(from) ?? new Set()).add(to));
    }
    expect(actual.size).toBeGreaterThan(2);
    for (const [folder, imports] of folders) {
      if (!folder.startsWith('tools/')) continue;
      const listed = [...imports.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();
      expect(listed, folder).toEqual([...(actual.get(folder) ?? [])].sort());
    }
  });
});
