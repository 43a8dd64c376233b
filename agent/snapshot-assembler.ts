import type { LocalPortRecord } from '../src/contracts/commands.js';
import { AgentCommandError } from './agent-error.js';
import type { FdbEntry } from './parse-agent-command.js';

/** Parts of one snapshot; 64 x 3,000 entries (SNAPSHOT_ENTRIES_PER_PART) covers a 500-host network many times over. */
export const MAX_SNAPSHOT_PARTS = 64;

export interface SnapshotPart {
  readonly networkId: string;
  readonly version: number;
  readonly vni: number;
  readonly part: { readonly index: number; readonly count: number };
  readonly entries: readonly FdbEntry[];
  readonly localPorts: readonly LocalPortRecord[];
}

/** A whole snapshot: its entries and the ports bound to this host (the union of the parts'). */
export interface AssembledSnapshot {
  readonly entries: readonly FdbEntry[];
  readonly localPorts: readonly LocalPortRecord[];
}

interface Pending {
  readonly version: number;
  readonly vni: number;
  readonly count: number;
  readonly parts: Map<number, AssembledSnapshot>;
}

/**
 * Collects the parts of a multi-part snapshot. Only the newest version per network is kept: a
 * part of a newer version discards an unfinished older one, a part of an older version is dropped.
 * Returns the whole table and local ports once every part of a version arrived, else null; the caller drops
 * entries that contradict an earlier part (`keepConsistentEntries`).
 */
export class SnapshotAssembler {
  readonly #pending = new Map<string, Pending>();

  add(part: SnapshotPart): AssembledSnapshot | null {
    if (part.part.count > MAX_SNAPSHOT_PARTS) {
      throw new AgentCommandError(
        'limit_exceeded',
        `snapshot in ${part.part.count} parts (max ${MAX_SNAPSHOT_PARTS})`,
      );
    }
    if (part.part.count === 1) {
      this.#pending.delete(part.networkId);
      return { entries: part.entries, localPorts: part.localPorts };
    }
    let pending = this.#pending.get(part.networkId);
    if (pending && part.version < pending.version) return null;
    if (!pending || part.version > pending.version) {
      pending = { version: part.version, vni: part.vni, count: part.part.count, parts: new Map() };
      this.#pending.set(part.networkId, pending);
    }
    if (pending.count !== part.part.count || pending.vni !== part.vni) {
      throw new AgentCommandError(
        'invalid_snapshot_part',
        `version ${part.version} arrived as ${pending.count} and ${part.part.count} parts or two segments`,
      );
    }
    pending.parts.set(part.part.index, { entries: part.entries, localPorts: part.localPorts });
    if (pending.parts.size < pending.count) return null;
    this.#pending.delete(part.networkId);
    const entries: FdbEntry[] = [];
    const localPorts: LocalPortRecord[] = [];
    for (let i = 0; i < pending.count; i++) {
      entries.push(...(pending.parts.get(i)?.entries ?? []));
      localPorts.push(...(pending.parts.get(i)?.localPorts ?? []));
    }
    return { entries, localPorts };
  }

  drop(networkId: string): void {
    this.#pending.delete(networkId);
  }
}
