import { isEmptyDelta } from './delta.js';
import {
  type FdbEntries,
  type NeutronPayload,
  planNeutronPayloads,
  planSnapshotPayload,
} from './payloads.js';
import type { NetworkPlan } from './plan.js';
import type { AgentTable, Entry, Network } from './types.js';

/** Command shapes as the core plans them; `src/contracts/commands.ts` is their wire schema. */
export type PlannedCommand =
  | {
      readonly v: 1;
      readonly kind: 'delta';
      readonly networkId: string;
      readonly version: number;
      readonly base: number;
      readonly segment: { networkType: string; segmentId: number };
      readonly payloads: NeutronPayload[];
    }
  | {
      readonly v: 1;
      readonly kind: 'snapshot';
      readonly networkId: string;
      readonly version: number;
      readonly segment: { networkType: string; segmentId: number };
      readonly part: { index: number; count: number };
      readonly fdb_entries: FdbEntries;
    }
  | { readonly v: 1; readonly kind: 'leave'; readonly networkId: string; readonly version: number };

export interface AddressedCommand {
  readonly host: string;
  readonly command: PlannedCommand;
}

/**
 * Entries per snapshot part. A `[mac, ip]` pair is at most ~60 bytes of JSON with IPv6, so 3,000
 * entries stay under 200 KB, inside the 256 KiB SQS message limit with room for the envelope.
 */
export const SNAPSHOT_ENTRIES_PER_PART = 3000;

function splitTable(table: AgentTable): AgentTable[] {
  const parts: Record<string, Entry[]>[] = [{}];
  let used = 0;
  for (const [ip, entries] of Object.entries(table)) {
    for (const e of entries) {
      if (used === SNAPSHOT_ENTRIES_PER_PART) {
        parts.push({});
        used = 0;
      }
      const part = parts[parts.length - 1] as Record<string, Entry[]>;
      (part[ip] ??= []).push(e);
      used++;
    }
  }
  return parts;
}

/** A snapshot of one table, split into parts that each fit one SQS message. */
export function planSnapshot(network: Network, version: number, table: AgentTable): PlannedCommand[] {
  const parts = splitTable(table);
  const segment = { networkType: network.networkType, segmentId: network.segmentId };
  return parts.map((t, index) => ({
    v: 1,
    kind: 'snapshot',
    networkId: network.id,
    version,
    segment,
    part: { index, count: parts.length },
    fdb_entries: planSnapshotPayload(network, t),
  }));
}

/**
 * Commands for one committed version of a network: a delta to every agent present before and
 * after (`base` = the previous version; empty when its table did not change), snapshots to new or
 * restarted agents, `leave` to agents no longer present. Every present agent hears of every
 * version, so no per-agent "last version sent" is kept: that map was O(hosts) and rewritten by
 * every event (docs/data-model.md, "Constant write capacity in hosts").
 */
export function planCommands(
  network: Network,
  version: number,
  plan: NetworkPlan,
  snapshotOf: (host: string) => AgentTable,
): readonly AddressedCommand[] {
  const commands: AddressedCommand[] = [];
  const segment = { networkType: network.networkType, segmentId: network.segmentId };
  for (const [host, { delta, touched }] of [...plan.deltas].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const payloads = isEmptyDelta(delta) ? [] : planNeutronPayloads(network, touched, delta);
    commands.push({
      host,
      command: { v: 1, kind: 'delta', networkId: network.id, version, base: version - 1, segment, payloads },
    });
  }
  for (const host of plan.snapshots)
    for (const command of planSnapshot(network, version, snapshotOf(host))) commands.push({ host, command });
  for (const host of plan.left)
    commands.push({ host, command: { v: 1, kind: 'leave', networkId: network.id, version } });
  return commands;
}
