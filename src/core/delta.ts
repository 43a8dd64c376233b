import { builderFromTable, entryKey, finishTable, type TableBuilder } from './entries.js';
import type { AgentTable } from './types.js';

/** The change between two tables of one agent: disjoint, sorted `add` and `remove` tables. */
export interface TableDelta {
  readonly add: AgentTable;
  readonly remove: AgentTable;
}

export const EMPTY_DELTA: TableDelta = { add: {}, remove: {} };

export function isEmptyDelta(delta: TableDelta): boolean {
  return Object.keys(delta.add).length === 0 && Object.keys(delta.remove).length === 0;
}

function keysOf(table: AgentTable): TableBuilder {
  return builderFromTable(table);
}

function minus(a: TableBuilder, b: TableBuilder): TableBuilder {
  const out: TableBuilder = new Map();
  for (const [ip, keys] of a) {
    const other = b.get(ip);
    const left = new Set([...keys].filter((k) => !other?.has(k)));
    if (left.size > 0) out.set(ip, left);
  }
  return out;
}

/** `delta(x, x)` is empty; `applyTableDelta(before, computeTableDelta(before, after))` equals `after`. */
export function computeTableDelta(before: AgentTable, after: AgentTable): TableDelta {
  const b = keysOf(before);
  const a = keysOf(after);
  return { add: finishTable(minus(a, b)), remove: finishTable(minus(b, a)) };
}

/** Applies removals first, then additions, like an agent does (removals are by key). */
export function applyTableDelta(table: AgentTable, delta: TableDelta): AgentTable {
  const builder = keysOf(table);
  for (const [ip, entries] of Object.entries(delta.remove)) {
    const set = builder.get(ip);
    if (!set) continue;
    for (const e of entries) set.delete(entryKey(e));
    if (set.size === 0) builder.delete(ip);
  }
  for (const [ip, entries] of Object.entries(delta.add)) {
    let set = builder.get(ip);
    if (!set) {
      set = new Set();
      builder.set(ip, set);
    }
    for (const e of entries) set.add(entryKey(e));
  }
  return finishTable(builder);
}

/** Builds a delta from signed entry counts: positive means add, negative means remove. */
export function deltaFromCounts(counts: ReadonlyMap<string, ReadonlyMap<string, number>>): TableDelta {
  const add: TableBuilder = new Map();
  const remove: TableBuilder = new Map();
  for (const [ip, byKey] of counts) {
    for (const [key, n] of byKey) {
      if (n === 0) continue;
      const target = n > 0 ? add : remove;
      let set = target.get(ip);
      if (!set) {
        set = new Set();
        target.set(ip, set);
      }
      set.add(key);
    }
  }
  return { add: finishTable(add), remove: finishTable(remove) };
}
