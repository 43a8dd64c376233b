import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { type PrefixPair, sortPrefixPairs } from '../../app/aap-index.js';
import {
  type CommitResult,
  type FactStore,
  macReadKey,
  type NetworkRead,
  type NetworkState,
  type OutboxRecord,
  type PendingOutbox,
  type PendingOutboxes,
  type ReadRequest,
  type ReadResult,
  type RouterRead,
  type VersionedFlags,
  vipReadKey,
} from '../../app/ports.js';
import type { AddressedCommand } from '../../core/commands.js';
import { isUnknownCount } from '../../core/desired.js';
import { regenerateSnapshots } from '../../core/engine.js';
import { DEFAULT_FLAGS } from '../../core/flags.js';
import type { PortRecord } from '../../core/transitions.js';
import type { Agent, FlagSettings, HaRouter, Port } from '../../core/types.js';
import type { VipRecord } from '../../core/vip-view.js';
import { viewsOfVips } from '../../core/vip-view.js';
import { batchGetItems, batchWriteItems, type WriteRequest } from './dynamo-batch.js';
import {
  fromOutboxItems,
  fromPortItem,
  fromStateItem,
  type Item,
  isTornRead,
  membersOf,
  objectField,
  outboxPendingOf,
  type StoredOutbox,
  sortCommands,
} from './dynamo-items.js';
import {
  GSI1,
  HOLDER_PREFIX,
  type ItemKey,
  idAfter,
  KEYS,
  keyString,
  OUTBOX_SHARDS,
  PREFIX,
  PREFIX_PAIR_PREFIX,
} from './dynamo-keys.js';
import { planTransaction } from './dynamo-transaction.js';
import { fromVipItem } from './dynamo-vip-items.js';

export interface DynamoFactStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The flags in force before any `flags.set` (deployment parameters, see src/runtime/config.ts). */
  readonly defaultFlags?: FlagSettings;
  /** How long a port tombstone rejects late updates before it expires (TTL). */
  readonly tombstoneTtlSeconds?: number;
  readonly now?: () => number;
}

/** Conflict reasons: a guard failed, or another transaction held an item; both mean re-read and retry. */
/** Torn reads of one network's state in a row before a read gives up (each waits 5 ms x 2^n). */
const MAX_TORN_READS = 8;
const CONFLICT_CODES = new Set(['ConditionalCheckFailed', 'TransactionConflict']);

function isConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name !== 'TransactionCanceledException') return false;
  return (e.CancellationReasons ?? []).some((r) => CONFLICT_CODES.has(r.Code ?? ''));
}

/**
 * The FactStore on one DynamoDB table (docs/data-model.md). Every read is strongly consistent:
 * the planner needs read-after-write, which is why the host, router-port and HA-network indexes are
 * items in the base table, written in the same transaction as what they index, and not GSIs.
 */
export function createDynamoFactStore(options: DynamoFactStoreOptions) {
  const { client, tableName: TableName } = options;
  const now = options.now ?? Date.now;
  const tombstoneTtl = options.tombstoneTtlSeconds ?? 7 * 24 * 3600;
  const defaults: VersionedFlags = { flags: options.defaultFlags ?? DEFAULT_FLAGS, revision: 0 };

  const get = async (key: ItemKey): Promise<Item | undefined> =>
    (await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item;

  /** Every page of a Query; strongly consistent on the base table (a GSI cannot be read so). */
  const query = async (input: Omit<QueryCommandInput, 'TableName' | 'ConsistentRead'>): Promise<Item[]> => {
    const out: Item[] = [];
    const ConsistentRead = input.IndexName === undefined;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({ ...input, TableName, ConsistentRead, ExclusiveStartKey: start }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  };

  const range = (pk: string, prefix: string, extra: Partial<QueryCommandInput> = {}) =>
    query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ...extra,
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix, ...extra.ExpressionAttributeValues },
    });

  const getPortAt = async (networkId: string, portId: string) => {
    const item = await get(KEYS.port(networkId, portId));
    return item ? fromPortItem(item) : undefined;
  };

  const flagsOf = (item: Item | undefined): VersionedFlags =>
    item ? { flags: objectField<FlagSettings>(item, 'flags'), revision: Number(item.revision) } : defaults;
  /**
   * Hosts whose presence count a commit moved without reading it and that then conflicted: the
   * next read of the network reads their exact counts (docs/data-model.md, "Constant write
   * capacity in hosts"), so a retry can plan the host leaving.
   */
  const readCountsOf = new Map<string, Set<string>>();
  const countKeys = (networkId: string) =>
    [...(readCountsOf.get(networkId) ?? [])].map((h) => KEYS.presence(h, networkId));
  /** The state from the items of one BatchGetItem that asked for `stateKeys(networkId)`. */
  const stateKeys = (networkId: string) => [
    KEYS.networkState(networkId),
    KEYS.networkHosts(networkId),
    ...countKeys(networkId),
  ];
  /** Undefined: no network; `torn`: its items come from two commits (`isTornRead`), read again. */
  const stateFrom = (networkId: string, at: (k: ItemKey) => Item | undefined) => {
    const item = at(KEYS.networkState(networkId));
    if (!item) return undefined;
    if (isTornRead(item, at(KEYS.networkHosts(networkId)))) return 'torn' as const;
    const counts = new Map<string, number>();
    for (const k of countKeys(networkId)) {
      const c = at(k)?.count;
      if (typeof c === 'number') counts.set(idAfter(PREFIX.host, k.pk), c);
    }
    readCountsOf.delete(networkId);
    return fromStateItem(item, at(KEYS.networkHosts(networkId)), counts);
  };

  /**
   * The network's state (and, with `published`, whether its outbox may be pending) from one
   * BatchGetItem, read again while it is torn: the commit that tore it has landed by the time the
   * read returns, so a second read is whole unless yet another commit races it.
   */
  const readNetwork = async (networkId: string, published: boolean): Promise<NetworkRead> => {
    for (let attempt = 0; ; attempt++) {
      const items = await batchGet([
        ...stateKeys(networkId),
        ...(published ? [KEYS.published(networkId)] : []),
      ]);
      const at = (k: ItemKey) => items.get(keyString(k));
      const state = stateFrom(networkId, at);
      if (state !== 'torn')
        return {
          state,
          outboxPending: outboxPendingOf(at(KEYS.networkState(networkId)), at(KEYS.published(networkId))),
        };
      if (attempt >= MAX_TORN_READS)
        throw new Error(`network ${networkId}: ${MAX_TORN_READS + 1} torn reads of its state in a row`);
      await new Promise((r) => setTimeout(r, 5 * 2 ** attempt));
    }
  };
  const getNetworkState = async (networkId: string) => (await readNetwork(networkId, false)).state;

  /**
   * Exact counts for the hosts a write moves from an unread count to an exact one (the full
   * recompute): only the counts that really differ are written, not one item per present host.
   */
  const withExactCounts = async (before: NetworkState, after: NetworkState): Promise<NetworkState> => {
    const hosts = Object.keys(before.index.counts).filter((h) => {
      const prev = before.index.counts[h] as number;
      const next = after.index.counts[h];
      return isUnknownCount(prev) && (next === undefined || !isUnknownCount(next));
    });
    if (hosts.length === 0) return before;
    const id = before.network.id;
    const items = await batchGet(hosts.map((h) => KEYS.presence(h, id)));
    const counts = { ...before.index.counts };
    for (const h of hosts) {
      const c = items.get(keyString(KEYS.presence(h, id)))?.count;
      if (typeof c === 'number') counts[h] = c;
    }
    return { ...before, index: { ...before.index, counts } };
  };

  const batchWrite = (requests: readonly WriteRequest[]) => batchWriteItems(client, TableName, requests);
  const deleteKeys = (keys: readonly ItemKey[]) =>
    batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  const batchGet = (keys: readonly ItemKey[]) => batchGetItems(client, TableName, keys);

  /**
   * Part counts and commit `seq` of the outbox records this store listed or committed, so
   * deleteOutbox needs no read and can record the record as published.
   */
  const outboxMeta = new Map<string, { parts: number; seq: number | undefined }>();

  const store = {
    getNetworkState,
    /**
     * One BatchGetItem (more only past 100 keys, or for a port found under another network): each
     * network's state and PUBLISHED item, each port under the named network and its pointer
     * (speculatively: read only when the port is not there), each MAC owner.
     */
    async readMany(request: ReadRequest): Promise<ReadResult> {
      const networks = request.networks ?? [];
      const ports = request.ports ?? [];
      const macs = request.macs ?? [];
      const vips = request.vips ?? [];
      const holders = request.pairHolders ?? [];
      const prefixNets = request.prefixPairs ?? [];
      const items = await batchGet([
        ...prefixNets.map((n) => KEYS.prefixPairs(n)),
        ...holders.map((h) => KEYS.pairHolders(h.networkId, h.ip)),
        ...vips.map((v) => KEYS.vip(v.networkId, v.ip)),
        ...(request.flags ? [KEYS.flags()] : []),
        ...networks.flatMap((n) => [...stateKeys(n), KEYS.published(n)]),
        ...ports.flatMap((p) => [KEYS.port(p.networkId, p.id), KEYS.portPointer(p.id)]),
        ...macs.map((m) => KEYS.mac(m.networkId, m.mac)),
      ]);
      const at = (k: ItemKey) => items.get(keyString(k));
      const read = {
        networks: new Map<string, NetworkRead>(),
        ports: new Map<string, PortRecord | undefined>(),
        macs: new Map<string, string | undefined>(),
      };
      for (const n of networks) {
        const state = stateFrom(n, at);
        read.networks.set(
          n,
          state === 'torn'
            ? await readNetwork(n, true)
            : { state, outboxPending: outboxPendingOf(at(KEYS.networkState(n)), at(KEYS.published(n))) },
        );
      }
      for (const p of ports) {
        const found = at(KEYS.port(p.networkId, p.id));
        const home = at(KEYS.portPointer(p.id))?.networkId;
        read.ports.set(
          p.id,
          found
            ? fromPortItem(found)
            : typeof home === 'string' && home !== p.networkId
              ? await getPortAt(home, p.id)
              : undefined,
        );
      }
      for (const m of macs) {
        const owner = at(KEYS.mac(m.networkId, m.mac))?.owner;
        read.macs.set(macReadKey(m.networkId, m.mac), typeof owner === 'string' ? owner : undefined);
      }
      const readVips = new Map<string, VipRecord | undefined>();
      for (const v of vips) {
        const item = at(KEYS.vip(v.networkId, v.ip));
        readVips.set(vipReadKey(v.networkId, v.ip), item ? fromVipItem(item) : undefined);
      }
      const readHolders = new Map<string, readonly string[]>();
      for (const h of holders) {
        const item = at(KEYS.pairHolders(h.networkId, h.ip)) ?? {};
        const ids = Object.keys(item).filter((k) => k.startsWith(HOLDER_PREFIX));
        readHolders.set(macReadKey(h.networkId, h.ip), ids.map((k) => k.slice(HOLDER_PREFIX.length)).sort());
      }
      const readPrefixes = new Map<string, readonly PrefixPair[]>();
      for (const n of prefixNets) {
        const names = Object.keys(at(KEYS.prefixPairs(n)) ?? {}).filter((k) =>
          k.startsWith(PREFIX_PAIR_PREFIX),
        );
        const pairs = names.map((k) => {
          const rest = k.slice(PREFIX_PAIR_PREFIX.length);
          const cut = rest.indexOf('#');
          return { cidr: rest.slice(0, cut), portId: rest.slice(cut + 1) };
        });
        readPrefixes.set(n, sortPrefixPairs(pairs));
      }
      return {
        ...read,
        ...(request.vips ? { vips: readVips } : {}),
        ...(request.flags ? { flags: flagsOf(at(KEYS.flags())) } : {}),
        ...(request.pairHolders ? { pairHolders: readHolders } : {}),
        ...(request.prefixPairs ? { prefixPairs: readPrefixes } : {}),
      };
    },
    /** One read in the steady state: the port lives under the network the event names. */
    async getPort(portId: string, networkId?: string): Promise<PortRecord | undefined> {
      if (networkId) {
        const found = await getPortAt(networkId, portId);
        if (found) return found;
      }
      const pointer = await get(KEYS.portPointer(portId));
      const home = typeof pointer?.networkId === 'string' ? pointer.networkId : undefined;
      return home && home !== networkId ? getPortAt(home, portId) : undefined;
    },
    async getMacOwner(networkId: string, mac: string) {
      const item = await get(KEYS.mac(networkId, mac));
      return typeof item?.owner === 'string' ? item.owner : undefined;
    },
    /**
     * One Query in the usual case (more only while every item it returns is excluded): the owner
     * items of the network between the two keys, in key order, a few at a time.
     */
    async firstOwnerBetween(networkId: string, from: string, to: string, excluding: readonly string[]) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName,
            ConsistentRead: true,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': `NET#${networkId}`,
              ':from': `${PREFIX.mac}${from}`,
              ':to': `${PREFIX.mac}${to}`,
            },
            ProjectionExpression: 'sk, #o',
            ExpressionAttributeNames: { '#o': 'owner' },
            Limit: 8 + excluding.length,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          const owner = item.owner;
          if (typeof owner === 'string' && !excluding.includes(owner))
            return { key: idAfter(PREFIX.mac, String(item.sk)), owner };
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return undefined;
    },
    async getRouter(routerId: string) {
      const item = await get(KEYS.router(routerId));
      return item ? objectField<HaRouter>(item, 'router') : undefined;
    },
    async getAgent(host: string) {
      const item = await get(KEYS.agent(host));
      return item ? objectField<Agent>(item, 'agent') : undefined;
    },
    async getFlags(): Promise<VersionedFlags> {
      return flagsOf(await get(KEYS.flags()));
    },
    async listNetworkPorts(networkId: string): Promise<Port[]> {
      const items = await range(`NET#${networkId}`, PREFIX.port, {
        FilterExpression: 'attribute_not_exists(#r.#d)',
        ExpressionAttributeNames: { '#r': 'record', '#d': 'deleted' },
      });
      return items.map((i) => fromPortItem(i) as Port);
    },
    async listNetworkVips(networkId: string): Promise<VipRecord[]> {
      return (await range(`NET#${networkId}`, PREFIX.vip)).map(fromVipItem);
    },
    async listVipNetworks(): Promise<string[]> {
      const items = await range('VIPNET', PREFIX.network, { ProjectionExpression: 'sk' });
      return items.map((i) => idAfter(PREFIX.network, String(i.sk)));
    },
    async listRouterPorts(routerId: string): Promise<Port[]> {
      return (await range(`ROUTER#${routerId}`, PREFIX.port)).map((i) => objectField<Port>(i, 'port'));
    },
    /**
     * One Query of the `ROUTER#<id>` partition: the port counter (`PORT`), the port index
     * (`PORT#…`) and the router (`ROUTER`), read in that order, so a port read here is at least
     * as new as the counter checked at commit.
     */
    async readRouter(routerId: string): Promise<RouterRead> {
      const items = await query({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': KEYS.router(routerId).pk },
      });
      const at = (sk: string) => items.find((i) => i.sk === sk);
      const router = at(KEYS.router(routerId).sk);
      const ports = items.filter((i) => String(i.sk).startsWith(PREFIX.port));
      return {
        router: router ? objectField<HaRouter>(router, 'router') : undefined,
        ports: ports.map((i) => objectField<Port>(i, 'port')),
        portsSeq: Number(at(KEYS.routerPortsSeq(routerId).sk)?.seq ?? 0),
      };
    },
    async listHostNetworks(host: string): Promise<string[]> {
      const items = await range(`HOST#${host}`, PREFIX.network, { ProjectionExpression: 'sk' });
      return items.map((i) => idAfter(PREFIX.network, String(i.sk)));
    },
    async listHaNetworks(): Promise<string[]> {
      const items = await range('HANET', PREFIX.network, { ProjectionExpression: 'sk' });
      return items.map((i) => idAfter(PREFIX.network, String(i.sk)));
    },
    async commit(commit: Parameters<FactStore['commit']>[0]): Promise<CommitResult> {
      const ports = new Map<string, PortRecord | undefined>();
      for (const w of commit.ports)
        if (w.previous === undefined && w.expected !== null)
          ports.set(w.value.id, await getPortAt(w.value.networkId, w.value.id));
      const networks = new Map<string, NetworkState | undefined>();
      for (const w of commit.networks) {
        const before =
          w.previous ?? (w.expected === null ? undefined : await getNetworkState(w.value.network.id));
        networks.set(w.value.network.id, before && (await withExactCounts(before, w.value)));
      }
      const writes = commit.networks.map((w) => ({ ...w, previous: networks.get(w.value.network.id) }));
      const { input, optimistic } = planTransaction(
        { ...commit, networks: writes },
        {
          tableName: TableName,
          tombstoneExpiry: Math.floor(now() / 1000) + tombstoneTtl,
          writtenAt: new Date(now()).toISOString(),
          previousPort: (r) => ports.get(r.id),
          previousNetwork: (s) => networks.get(s.network.id),
        },
      );
      try {
        await client.send(new TransactWriteCommand(input));
        for (const record of commit.outbox) {
          const head = (input.TransactItems ?? []).find(
            (t) =>
              t.Put?.Item?.sk === KEYS.outboxHead(record.networkId, record.key).sk &&
              t.Put?.Item?.pk === `NET#${record.networkId}`,
          )?.Put?.Item;
          outboxMeta.set(`${record.networkId}|${record.key}`, {
            parts: typeof head?.parts === 'number' ? head.parts : 1,
            seq: typeof head?.seq === 'number' ? head.seq : undefined,
          });
        }
        return 'committed';
      } catch (err) {
        if (!isConflict(err)) throw err;
        for (const { networkId, host } of optimistic) {
          const hosts = readCountsOf.get(networkId) ?? new Set<string>();
          readCountsOf.set(networkId, hosts.add(host));
        }
        return 'conflict';
      }
    },
    /**
     * Networks with an outbox head, each with its oldest head's `at`: a Query of each gsi1 shard,
     * keys and `at` only (gsi1 projects `at`). No filter: a FilterExpression would read (and bill)
     * the same items, and the sweeper needs the oldest age of all of them. Eventually consistent,
     * which is fine: a flush reads the base table.
     */
    async listPendingOutboxes(): Promise<PendingOutbox[]> {
      const oldest = new Map<string, string>();
      for (let shard = 0; shard < OUTBOX_SHARDS; shard++) {
        const items = await query({
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :pk',
          ProjectionExpression: 'gsi1sk, #at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':pk': `OUTBOX#${shard}` },
        });
        for (const i of items) {
          const id = String(i.gsi1sk).split('#')[0] as string;
          const at = String(i.at);
          const seen = oldest.get(id);
          if (seen === undefined || at < seen) oldest.set(id, at);
        }
      }
      return [...oldest].sort(([a], [b]) => (a < b ? -1 : 1)).map(([networkId, at]) => ({ networkId, at }));
    },
    async listOutbox(networkId: string): Promise<OutboxRecord[]> {
      const items = await range(`NET#${networkId}`, PREFIX.outbox);
      // a compact record is expanded over the members (docs/data-model.md, "Constant write capacity in hosts")
      const hosts = items.some((i) => typeof i.key === 'string')
        ? membersOf(await get(KEYS.networkHosts(networkId)))
        : undefined;
      const { records, orphans } = fromOutboxItems(networkId, items, hosts);
      if (orphans.length > 0) await deleteKeys(orphans.map((sk) => ({ pk: `NET#${networkId}`, sk })));
      for (const r of records) outboxMeta.set(`${networkId}|${r.record.key}`, { parts: r.parts, seq: r.seq });
      const snapshots = records.some((r) => r.snapshots.length > 0)
        ? await snapshotsAtCurrentVersion(networkId, records)
        : new Map<string, AddressedCommand[]>();
      return records.map((r) => ({
        ...r.record,
        commands: sortCommands([...r.record.commands, ...(snapshots.get(r.record.key) ?? [])]),
      }));
    },
    /**
     * The head first, with the PUBLISHED item in the same BatchWriteItem (the record was published
     * before this is called); then the parts. A crash in between leaves parts without a head, which
     * listOutbox removes.
     */
    async deleteOutbox(networkId: string, key: string): Promise<void> {
      const id = `${networkId}|${key}`;
      const meta = outboxMeta.get(id) ?? (await readOutboxMeta(networkId, key));
      const published: WriteRequest[] =
        meta.seq === undefined
          ? []
          : [{ PutRequest: { Item: { ...KEYS.published(networkId), seq: meta.seq } } }];
      await batchWrite([{ DeleteRequest: { Key: KEYS.outboxHead(networkId, key) } }, ...published]);
      const rest = Array.from({ length: meta.parts - 1 }, (_, i) => KEYS.outboxPart(networkId, key, i + 1));
      if (rest.length > 0) await deleteKeys(rest);
      outboxMeta.delete(id);
    },
  } satisfies FactStore & PendingOutboxes;

  /**
   * The snapshots a stored record names, regenerated from the facts (docs/data-model.md,
   * "Constant write capacity in hosts"): only for a record of the network's current version. A
   * record of an older version was published before the commit that moved the version (every
   * commit first publishes what is pending), so its snapshots went out already. The ports are read
   * between two reads of the state; if a commit came in between, the read is repeated, so the
   * snapshot is exactly the table at the version it is labelled with.
   */
  async function snapshotsAtCurrentVersion(
    networkId: string,
    records: readonly StoredOutbox[],
  ): Promise<Map<string, AddressedCommand[]>> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await getNetworkState(networkId);
      if (!before) break;
      const current = records.filter((r) => r.snapshots.length > 0 && r.record.version === before.version);
      if (current.length === 0) break;
      const [ports, vips] = await Promise.all([
        store.listNetworkPorts(networkId),
        store.listNetworkVips(networkId),
      ]);
      const after = await getNetworkState(networkId);
      if (after?.seq !== before.seq) continue;
      const views = viewsOfVips(vips);
      return new Map(
        current.map((r) => [r.record.key, regenerateSnapshots(before, ports, r.snapshots, views)]),
      );
    }
    return new Map();
  }

  async function readOutboxMeta(networkId: string, key: string) {
    const head = await get(KEYS.outboxHead(networkId, key));
    return {
      parts: typeof head?.parts === 'number' ? head.parts : 1,
      seq: typeof head?.seq === 'number' ? head.seq : undefined,
    };
  }
  return store;
}

export type DynamoFactStore = ReturnType<typeof createDynamoFactStore>;
