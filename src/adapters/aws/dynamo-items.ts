import type {
  NetworkState,
  OutboxOrigin,
  OutboxRecord,
  RouterView,
  VersionedFlags,
} from '../../app/ports.js';
import type { AddressedCommand } from '../../core/commands.js';
import { type NetworkIndex, UNKNOWN_COUNT } from '../../core/desired.js';
import type { Member } from '../../core/membership.js';
import type { PortRecord } from '../../core/transitions.js';
import type { Agent, HaRouter, Network, Port, Strategy } from '../../core/types.js';
import type { VipKeyTable } from '../../core/vip-keys.js';
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

/**
 * The state item's body: constant in hosts. The index lives in the `HOSTS` item (present hosts and
 * members) and the presence items (`count`), docs/data-model.md "Constant write capacity in hosts".
 */
interface StateBody {
  readonly strategies: Readonly<Record<string, Strategy>>;
  /** Absent in items written before HA changes were split per network: no router recorded. */
  readonly routers?: Readonly<Record<string, RouterView>>;
  /** The shared unicast entries (src/core/vip-keys.ts); absent in items written before them. */
  readonly vipKeys?: VipKeyTable;
}

export function toStateItem(state: NetworkState): Item {
  const body: StateBody = {
    strategies: state.strategies,
    routers: state.routers,
    ...(state.vipKeys ? { vipKeys: state.vipKeys } : {}),
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

/** The `HOSTS` item's body: every present host, with its member (null: present, not a member). */
interface HostsBody {
  readonly hosts: Readonly<Record<string, Member | null>>;
}

/** The present hosts and members of a state, as the `HOSTS` item holds them. */
export function toHostsItem(state: NetworkState): Item {
  const hosts: Record<string, Member | null> = {};
  for (const h of Object.keys(state.index.counts).sort()) hosts[h] = state.index.members[h] ?? null;
  const body: HostsBody = { hosts };
  return { ...KEYS.networkHosts(state.network.id), seq: state.seq ?? 0, body: encodeBlob(body) };
}

/** Whether two states have the same present hosts and members: the `HOSTS` item stays. */
export function sameHosts(a: NetworkIndex, b: NetworkIndex): boolean {
  const ha = Object.keys(a.counts);
  const hb = Object.keys(b.counts);
  if (ha.length !== hb.length || ha.some((h) => b.counts[h] === undefined)) return false;
  const ma = Object.keys(a.members);
  if (ma.length !== Object.keys(b.members).length) return false;
  return ma.every((h) => JSON.stringify(a.members[h]) === JSON.stringify(b.members[h]));
}

/**
 * Whether the `STATE` and `HOSTS` items of one read belong to different commits. A BatchGetItem is
 * not a snapshot: DynamoDB reads each item with read-committed isolation and the batch as a whole
 * is not serializable with a transaction (DynamoDB Local tears one read in three under contention,
 * `test/adapters/torn-network-read.test.ts`). The `STATE` item is the one every commit guards, so
 * it names the `HOSTS` item it goes with: `hostsSeq`, the `seq` of the commit that last wrote
 * `HOSTS`. A state item written before `hostsSeq` existed only rules out a `HOSTS` item newer than
 * itself.
 */
export function isTornRead(item: Item, hostsItem: Item | undefined): boolean {
  const hostsSeq = typeof hostsItem?.seq === 'number' ? hostsItem.seq : undefined;
  if (typeof item.hostsSeq === 'number') return hostsSeq !== item.hostsSeq;
  return hostsSeq !== undefined && typeof item.seq === 'number' && hostsSeq > item.seq;
}

/**
 * A state from its `STATE` and `HOSTS` items (of one commit: `isTornRead`). A present host's count is exact when its presence
 * item was read (`counts`), else `UNKNOWN_COUNT` (src/core/desired.ts): the steady state reads
 * no count, and a commit that moves one adds to it atomically.
 */
export function fromStateItem(
  item: Item,
  hostsItem: Item | undefined,
  counts: ReadonlyMap<string, number> = new Map(),
): NetworkState {
  const body = decodeBlob(field<Uint8Array>(item, 'body', isBytes)) as StateBody;
  const hosts = hostsItem
    ? (decodeBlob(field<Uint8Array>(hostsItem, 'body', isBytes)) as HostsBody).hosts
    : {};
  const index: { counts: Record<string, number>; members: Record<string, Member> } = {
    counts: {},
    members: {},
  };
  for (const [h, m] of Object.entries(hosts)) {
    index.counts[h] = counts.get(h) ?? UNKNOWN_COUNT;
    if (m) index.members[h] = m;
  }
  return {
    network: field<Network>(item, 'network', isObject),
    version: field<number>(item, 'version', isNumber),
    seq: field<number>(item, 'seq', isNumber),
    index,
    strategies: body.strategies,
    routers: body.routers ?? {},
    ...(body.vipKeys ? { vipKeys: body.vipKeys } : {}),
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
 * Commands as an outbox record stores them, O(1) in hosts and ports for a port event, a join and a
 * resync: one command `all` that every member of the network gets at this version except `except`
 * (the members are those the same commit wrote to `HOSTS`), the other non-snapshot commands with
 * their hosts, and only the hosts of the snapshots, which are regenerated from the facts when the
 * record is read back (`regenerateSnapshots`, src/core/engine.ts). A port event sends the same
 * delta to every other agent and an empty one to its own host; a join sends one snapshot.
 */
interface StoredCommands {
  readonly all?: AddressedCommand['command'];
  readonly except?: readonly string[];
  readonly others: readonly AddressedCommand[];
  readonly snapshots: readonly string[];
}

/** Below this many agents sharing a command, the commands are listed one per agent. */
const COMPACT_MIN_HOSTS = 8;

/** The commands as stored (`StoredCommands`). */
export function compactCommands(
  commands: readonly AddressedCommand[],
  members: readonly string[],
): StoredCommands {
  const snapshots = [...new Set(commands.filter((c) => c.command.kind === 'snapshot').map((c) => c.host))];
  const rest = commands.filter((c) => c.command.kind !== 'snapshot');
  const groups = new Map<string, string[]>();
  for (const c of rest) {
    const k = JSON.stringify(c.command);
    groups.set(k, [...(groups.get(k) ?? []), c.host]);
  }
  const largest = [...groups].reduce<[string, string[]] | undefined>(
    (a, b) => (a === undefined || b[1].length > a[1].length ? b : a),
    undefined,
  );
  const memberSet = new Set(members);
  const once = new Set(rest.map((c) => c.host)).size === rest.length;
  if (
    !largest ||
    !once ||
    largest[1].length < COMPACT_MIN_HOSTS ||
    !largest[1].every((h) => memberSet.has(h))
  )
    return { others: rest, snapshots };
  const sharing = new Set(largest[1]);
  return {
    all: JSON.parse(largest[0]) as AddressedCommand['command'],
    except: members.filter((h) => !sharing.has(h)),
    others: rest.filter((c) => !sharing.has(c.host)),
    snapshots,
  };
}

/** The rank `planCommands` (src/core/commands.ts) orders commands by: deltas, snapshots, leaves. */
const KIND_RANK = { delta: 0, snapshot: 1, leave: 2 } as const;

/** Commands in the order `planCommands` gives them (snapshot parts stay in part order). */
export function sortCommands(commands: readonly AddressedCommand[]): AddressedCommand[] {
  return [...commands].sort(
    (a, b) =>
      KIND_RANK[a.command.kind] - KIND_RANK[b.command.kind] ||
      (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) ||
      (a.command.kind === 'snapshot' && b.command.kind === 'snapshot'
        ? a.command.part.index - b.command.part.index
        : 0),
  );
}

/**
 * The non-snapshot commands of a stored record, and the hosts whose snapshot must be regenerated.
 * `all` is expanded over the network's members as the `HOSTS` item holds them, provided no later
 * commit rewrote it (`hosts.seq` <= the record's `seq`): a later commit that changed the members
 * first published this record, so its shared command went out already (agents ignore a version
 * they hold). A list (records written before this form) is returned as it is.
 */
export function expandCommands(
  stored: unknown,
  hosts: { readonly members: readonly string[]; readonly seq: number } | undefined,
  recordSeq: number | undefined,
): { commands: AddressedCommand[]; snapshots: string[] } {
  if (Array.isArray(stored)) return { commands: stored as AddressedCommand[], snapshots: [] };
  const c = stored as StoredCommands;
  if (!isObject(c) || !Array.isArray(c.others) || !Array.isArray(c.snapshots))
    throw new Error('outbox commands are neither a list nor stored commands');
  const current = hosts !== undefined && recordSeq !== undefined && hosts.seq <= recordSeq;
  const except = new Set(c.except ?? []);
  const all = c.all;
  const shared: AddressedCommand[] =
    all && current ? hosts.members.filter((h) => !except.has(h)).map((host) => ({ host, command: all })) : [];
  const others: readonly AddressedCommand[] = c.others;
  const snapshots: readonly string[] = c.snapshots;
  return { commands: [...shared, ...others], snapshots: [...snapshots] };
}

/** The members and `seq` of a `HOSTS` item, for `expandCommands`. */
export function membersOf(hostsItem: Item | undefined): { members: string[]; seq: number } | undefined {
  if (!hostsItem) return undefined;
  const { hosts } = decodeBlob(field<Uint8Array>(hostsItem, 'body', isBytes)) as HostsBody;
  return {
    members: Object.keys(hosts)
      .filter((h) => hosts[h])
      .sort(),
    seq: field<number>(hostsItem, 'seq', isNumber),
  };
}

/**
 * An outbox record as a head item (first chunk inline) plus part items for the rest. The head is
 * in the sparse gsi1 (`OUTBOX#<shard>`) with `at`, the ISO time of its commit: the sweeper's index.
 * `members` are the network's members after the commit that writes it (compact storage).
 */
export function toOutboxItems(
  record: OutboxRecord,
  at: string,
  seq?: number,
  members?: readonly string[],
): Item[] {
  const stored = members && seq !== undefined ? compactCommands(record.commands, members) : record.commands;
  const chunks = chunkBlob(encodeBlob(stored));
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
  /** Without the snapshots of `snapshots`, which the store regenerates. */
  readonly record: OutboxRecord;
  /** Hosts that get a snapshot of the record's version, regenerated from the facts. */
  readonly snapshots: readonly string[];
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
  hosts?: { readonly members: readonly string[]; readonly seq: number },
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
    const seq = typeof it.seq === 'number' ? it.seq : undefined;
    const { commands, snapshots } = expandCommands(decodeBlob(chunks), hosts, seq);
    const version = field<number>(it, 'version', isNumber);
    records.push({
      record: {
        networkId,
        key: it.key,
        version,
        commands,
        ...(typeof it.correlationId === 'string' ? { correlationId: it.correlationId } : {}),
        ...(isObject(it.origin) ? { origin: it.origin as unknown as OutboxOrigin } : {}),
      },
      snapshots,
      parts: count,
      seq,
    });
    partKeys.delete(it.key);
  }
  return { records, orphans: [...partKeys.values()].flat() };
}
