import { isEmptyDelta } from './delta.js';
import { isEmptyLocalDelta, type LocalPort, type LocalPortsDelta, localPortWeight } from './local-ports.js';
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
      /** The changes to the ports bound to this host, outside Neutron's payloads; absent: none. */
      readonly localPorts?: LocalPortsDelta;
    }
  | {
      readonly v: 1;
      readonly kind: 'snapshot';
      readonly networkId: string;
      readonly version: number;
      readonly segment: { networkType: string; segmentId: number };
      readonly part: { index: number; count: number };
      readonly fdb_entries: FdbEntries;
      /**
       * This part's share of the ports bound to this host; the union over the parts is the whole
       * list (absent: none in this part).
       */
      readonly localPorts?: readonly LocalPort[];
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

interface SnapshotPart {
  readonly table: AgentTable;
  readonly localPorts: LocalPort[];
}

/**
 * The local ports first, then the entries, into parts of SNAPSHOT_ENTRIES_PER_PART entries' worth
 * (`localPortWeight`): the ports bound to a host usually all fit the first part, and a host with
 * thousands of them still gets parts that fit one message.
 */
function splitSnapshot(table: AgentTable, localPorts: readonly LocalPort[]): SnapshotPart[] {
  const parts: { table: Record<string, Entry[]>; localPorts: LocalPort[] }[] = [
    { table: {}, localPorts: [] },
  ];
  let used = 0;
  const room = (weight: number) => {
    if (used > 0 && used + weight > SNAPSHOT_ENTRIES_PER_PART) {
      parts.push({ table: {}, localPorts: [] });
      used = 0;
    }
    used += weight;
    return parts[parts.length - 1] as (typeof parts)[number];
  };
  for (const p of localPorts) room(localPortWeight(p)).localPorts.push(p);
  for (const [ip, entries] of Object.entries(table))
    for (const e of entries) {
      const part = room(1);
      (part.table[ip] ??= []).push(e);
    }
  return parts;
}

/** A snapshot of one table and the host's local ports, split into parts that each fit one SQS message. */
export function planSnapshot(
  network: Network,
  version: number,
  table: AgentTable,
  localPorts: readonly LocalPort[],
): PlannedCommand[] {
  const parts = splitSnapshot(table, localPorts);
  const segment = { networkType: network.networkType, segmentId: network.segmentId };
  return parts.map((p, index) => ({
    v: 1,
    kind: 'snapshot',
    networkId: network.id,
    version,
    segment,
    part: { index, count: parts.length },
    fdb_entries: planSnapshotPayload(network, p.table),
    ...(p.localPorts.length > 0 ? { localPorts: p.localPorts } : {}),
  }));
}

/**
 * Commands for one committed version of a network: a delta to every agent present before and
 * after (`base` = the previous version; empty when its table did not change), snapshots to new or
 * restarted agents, `leave` to agents no longer present. A delta carries the changes to the ports
 * bound to its host (`localPorts`), a snapshot the whole list (`localPortsOf`). Every present agent hears of every
 * version, so no per-agent "last version sent" is kept: that map was O(hosts) and rewritten by
 * every event (docs/data-model.md, "Constant write capacity in hosts").
 */
export function planCommands(
  network: Network,
  version: number,
  plan: NetworkPlan,
  snapshotOf: (host: string) => AgentTable,
  localPortsOf: (host: string) => readonly LocalPort[],
): readonly AddressedCommand[] {
  const commands: AddressedCommand[] = [];
  const segment = { networkType: network.networkType, segmentId: network.segmentId };
  for (const [host, { delta, touched, local }] of [...plan.deltas].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const payloads = isEmptyDelta(delta) ? [] : planNeutronPayloads(network, touched, delta);
    commands.push({
      host,
      command: {
        v: 1,
        kind: 'delta',
        networkId: network.id,
        version,
        base: version - 1,
        segment,
        payloads,
        ...(local && !isEmptyLocalDelta(local) ? { localPorts: local } : {}),
      },
    });
  }
  for (const host of plan.snapshots)
    for (const command of planSnapshot(network, version, snapshotOf(host), localPortsOf(host)))
      commands.push({ host, command });
  for (const host of plan.left)
    commands.push({ host, command: { v: 1, kind: 'leave', networkId: network.id, version } });
  return commands;
}
