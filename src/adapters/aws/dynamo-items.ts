import type {
  NetworkState,
  OutboxOrigin,
  OutboxRecord,
  RouterView,
  VersionedFlags,
} from '../../app/ports.js';
import type { AddressedCommand } from '../../core/commands.js';
import type { NetworkIndex } from '../../core/desired.js';
import type { PortRecord } from '../../core/transitions.js';
import type { Agent, HaRouter, Network, Port, Strategy } from '../../core/types.js';
import { chunkBlob, decodeBlob, encodeBlob } from './dynamo-codec.js';
import { KEYS, outboxShard } from './dynamo-keys.js';

/** A stored item as the DocumentClient returns it. */
export type Item = Record<string, unknown>;

/**
 * Items are written and read only by this adapter; decoding checks the shape it needs and trusts
 * the rest (the zod schemas guard the untrusted edges, style.md §9).
 */
function field<T>(item: Item, name: string, check: (v: unknown) => boolean): T {
  const v = item[name];
  if (!check(v)) throw new Error(`corrupt item ${String(item.pk)}/${String(item.sk)}: bad ${name}`);
  return v as T;
}
const isObject = (v: unknown) => typeof v === 'object' && v !== null;
const isNumber = (v: unknown) => typeof v === 'number';
const isBytes = (v: unknown) => v instanceof Uint8Array;

interface StateBody {
  readonly index: NetworkIndex;
  readonly sent: Readonly<Record<string, number>>;
  readonly strategies: Readonly<Record<string, Strategy>>;
  /** Absent in items written before HA changes were split per network: no router recorded. */
  readonly routers?: Readonly<Record<string, RouterView>>;
}

export function toStateItem(state: NetworkState): Item {
  const body: StateBody = {
    index: state.index,
    sent: state.sent,
    strategies: state.strategies,
    routers: state.routers,
  };
  return {
    ...KEYS.networkState(state.network.id),
    seq: state.seq ?? 0,
    version: state.version,
    network: state.network,
    body: encodeBlob(body),
  };
}

/**
 * Whether an outbox record of the network may be unpublished: the state item's `outboxSeq` is the
 * `seq` of the last commit that wrote one, the PUBLISHED item's `seq` that of the last record
 * published. Every commit first publishes what it read as pending (and its `seq` guard fails if
 * another commit came in between), so the last record published means all of them were. An item
 * written before `outboxSeq` existed says nothing: pending.
 */
export function outboxPendingOf(state: Item | undefined, published: Item | undefined): boolean {
  if (!state) return false;
  if (typeof state.outboxSeq !== 'number') return true;
  const done = typeof published?.seq === 'number' ? published.seq : 0;
  return state.outboxSeq !== done;
}

export function fromStateItem(item: Item): NetworkState {
  const body = decodeBlob(field<Uint8Array>(item, 'body', isBytes)) as StateBody;
  return {
    network: field<Network>(item, 'network', isObject),
    version: field<number>(item, 'version', isNumber),
    seq: field<number>(item, 'seq', isNumber),
    index: body.index,
    sent: body.sent,
    strategies: body.strategies,
    routers: body.routers ?? {},
  };
}

export function toPortItem(record: PortRecord, ttl: number | null): Item {
  return {
    ...KEYS.port(record.networkId, record.id),
    revision: record.revision,
    record,
    ...(ttl === null ? {} : { ttl }),
  };
}

export function fromPortItem(item: Item): PortRecord {
  return field<PortRecord>(item, 'record', isObject);
}

export function toRouterPortItem(port: Port): Item {
  return { ...KEYS.routerPort(port.deviceId, port.id), networkId: port.networkId, port };
}

export function toRouterItem(router: HaRouter): Item {
  return { ...KEYS.router(router.id), version: router.version, router };
}

export function toAgentItem(agent: Agent): Item {
  return { ...KEYS.agent(agent.host), revision: agent.revision, agent };
}

export function toFlagsItem(flags: VersionedFlags): Item {
  return { ...KEYS.flags(), revision: flags.revision, flags: flags.flags };
}

export function objectField<T>(item: Item, name: string): T {
  return field<T>(item, name, isObject);
}

/**
 * An outbox record as a head item (first chunk inline) plus part items for the rest. The head is
 * in the sparse gsi1 (`OUTBOX#<shard>`) with `at`, the ISO time of its commit: the sweeper's index.
 */
export function toOutboxItems(record: OutboxRecord, at: string, seq?: number): Item[] {
  const chunks = chunkBlob(encodeBlob(record.commands));
  const head: Item = {
    ...KEYS.outboxHead(record.networkId, record.key),
    gsi1pk: outboxShard(record.networkId),
    gsi1sk: `${record.networkId}#${record.key}`,
    at,
    key: record.key,
    version: record.version,
    parts: chunks.length,
    body: chunks[0],
    ...(seq === undefined ? {} : { seq }),
    ...(record.correlationId ? { correlationId: record.correlationId } : {}),
    ...(record.origin ? { origin: record.origin } : {}),
  };
  const parts = chunks.slice(1).map((body, i) => ({
    ...KEYS.outboxPart(record.networkId, record.key, i + 1),
    partOf: record.key,
    part: i + 1,
    body,
  }));
  return [head, ...parts];
}

/** An outbox record as stored: how many items it spans. */
export interface StoredOutbox {
  readonly record: OutboxRecord;
  readonly parts: number;
  /** The `seq` of the network state written by the same commit (absent: none, or an older item). */
  readonly seq: number | undefined;
}

/**
 * Reassembles the outbox records of one network's OUTBOX# range. Parts whose head is gone are
 * returned as `orphans` (a crash between deleting a head and its parts leaves them).
 */
export function fromOutboxItems(
  networkId: string,
  items: readonly Item[],
): { records: StoredOutbox[]; orphans: string[] } {
  const parts = new Map<string, Map<number, Uint8Array>>();
  const partKeys = new Map<string, string[]>();
  for (const it of items) {
    if (typeof it.partOf !== 'string') continue;
    const m = parts.get(it.partOf) ?? new Map<number, Uint8Array>();
    m.set(field<number>(it, 'part', isNumber), field<Uint8Array>(it, 'body', isBytes));
    parts.set(it.partOf, m);
    partKeys.set(it.partOf, [...(partKeys.get(it.partOf) ?? []), String(it.sk)]);
  }
  const records: StoredOutbox[] = [];
  for (const it of items) {
    if (typeof it.key !== 'string') continue;
    const count = field<number>(it, 'parts', isNumber);
    const chunks = [field<Uint8Array>(it, 'body', isBytes)];
    for (let i = 1; i < count; i++) {
      const c = parts.get(it.key)?.get(i);
      if (c) chunks.push(c);
    }
    if (chunks.length !== count)
      throw new Error(`outbox ${networkId}/${it.key}: ${chunks.length} of ${count} parts`);
    const commands = decodeBlob(chunks);
    if (!Array.isArray(commands)) throw new Error(`outbox ${networkId}/${it.key}: commands are not a list`);
    const version = field<number>(it, 'version', isNumber);
    records.push({
      record: {
        networkId,
        key: it.key,
        version,
        commands: commands as AddressedCommand[],
        ...(typeof it.correlationId === 'string' ? { correlationId: it.correlationId } : {}),
        ...(isObject(it.origin) ? { origin: it.origin as unknown as OutboxOrigin } : {}),
      },
      parts: count,
      seq: typeof it.seq === 'number' ? it.seq : undefined,
    });
    partKeys.delete(it.key);
  }
  return { records, orphans: [...partKeys.values()].flat() };
}
