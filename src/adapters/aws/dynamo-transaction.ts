import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Commit, FactCheck, NetworkState } from '../../app/ports.js';
import { routerOfPort } from '../../app/router-ports.js';
import { isUnknownCount } from '../../core/desired.js';
import { isTombstone, type PortRecord } from '../../core/transitions.js';
import type { Port } from '../../core/types.js';
import {
  estimateItemBytes,
  limitError,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_BYTES,
  MAX_TRANSACTION_ITEMS,
} from './dynamo-codec.js';
import { digestTransactionItems } from './dynamo-digest-items.js';
import {
  type Item,
  sameHosts,
  toAgentItem,
  toFlagsItem,
  toHostsItem,
  toOutboxItems,
  toPortItem,
  toRouterItem,
  toRouterPortItem,
  toStateItem,
} from './dynamo-items.js';
import { HOLDER_PREFIX, type ItemKey, KEYS, keyString, PREFIX_PAIR_PREFIX } from './dynamo-keys.js';
import { toVipItem } from './dynamo-vip-items.js';

type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What the transaction needs besides the commit: the records the writes replace, and the clock. */
export interface TransactionContext {
  readonly tableName: string;
  /** Epoch seconds at which a port tombstone (and its pointer) expires. */
  readonly tombstoneExpiry: number;
  /** ISO time of the commit, stamped on outbox heads. */
  readonly writtenAt: string;
  readonly previousPort: (record: PortRecord) => PortRecord | undefined;
  readonly previousNetwork: (state: NetworkState) => NetworkState | undefined;
}

const NOT_EXISTS = 'attribute_not_exists(pk)';

function versionGuard(attr: string, expected: number | null, absentIsZero = false) {
  if (expected === null) return { ConditionExpression: NOT_EXISTS };
  const cond = `#g = :g`;
  return {
    ConditionExpression: absentIsZero && expected === 0 ? `${NOT_EXISTS} OR ${cond}` : cond,
    ExpressionAttributeNames: { '#g': attr },
    ExpressionAttributeValues: { ':g': expected },
  };
}

/**
 * Turns a commit into one TransactWriteItems request (docs/data-model.md, "commit"): every guard
 * becomes a condition expression, and the host, router-port and HA-network indexes move with the
 * records they index. Throws `limit_exceeded` when the commit cannot fit DynamoDB's limits.
 */
export interface PlannedTransaction {
  readonly input: TransactWriteCommandInput;
  /** Hosts whose count the commit moved without reading it: read them if the commit conflicts. */
  readonly optimistic: readonly { readonly networkId: string; readonly host: string }[];
}

export function planTransaction(commit: Commit, ctx: TransactionContext): PlannedTransaction {
  const items: TxItem[] = [];
  const keys = new Set<string>();
  let bytes = 0;
  const push = (k: ItemKey, item: TxItem, size: number) => {
    const ks = keyString(k);
    if (keys.has(ks)) throw new Error(`commit touches ${k.pk}/${k.sk} twice`);
    keys.add(ks);
    if (size > MAX_ITEM_BYTES) {
      throw limitError(`item ${k.pk}/${k.sk} would be ${size} bytes; DynamoDB allows ${MAX_ITEM_BYTES}`, {
        ...k,
        size,
      });
    }
    bytes += size;
    items.push(item);
  };
  const TableName = ctx.tableName;
  const put = (item: Item, guard: object = {}) =>
    push(
      { pk: String(item.pk), sk: String(item.sk) },
      { Put: { TableName, Item: item, ...guard } },
      estimateItemBytes(item),
    );
  const del = (k: ItemKey) => push(k, { Delete: { TableName, Key: k } }, 100);

  const routersWithPorts = new Set<string>();
  for (const w of commit.ports) {
    const record = w.value;
    const tombstone = isTombstone(record);
    const ttl = tombstone ? ctx.tombstoneExpiry : null;
    put(toPortItem(record, ttl), versionGuard('revision', w.expected));
    if (w.expected === null || tombstone) {
      put({ ...KEYS.portPointer(record.id), networkId: record.networkId, ...(ttl === null ? {} : { ttl }) });
    }
    const before = w.previous ?? (w.expected === null ? undefined : ctx.previousPort(record));
    const routerBefore = routerOfPort(before);
    if (routerOfPort(record) !== null) put(toRouterPortItem(record as Port));
    if (routerBefore !== null && routerBefore !== routerOfPort(record))
      del(KEYS.routerPort(routerBefore, record.id));
    for (const r of [routerBefore, routerOfPort(record)]) if (r !== null) routersWithPorts.add(r);
  }
  for (const r of [...routersWithPorts].sort()) {
    const k = KEYS.routerPortsSeq(r);
    const bump = { UpdateExpression: 'ADD #s :one', ExpressionAttributeNames: { '#s': 'seq' } };
    push(k, { Update: { TableName, Key: k, ...bump, ExpressionAttributeValues: { ':one': 1 } } }, 100);
  }
  for (const m of commit.macs) {
    const k = KEYS.mac(m.networkId, m.mac);
    if (m.owner === null) del(k);
    else
      put(
        { ...k, owner: m.owner },
        {
          ConditionExpression: `${NOT_EXISTS} OR #o = :o`,
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':o': m.owner },
        },
      );
  }
  // Attribute changes of the pair-holder and prefix-pair items: the last change of an attribute wins.
  const attributeChanges = new Map<string, { key: ItemKey; attrs: Map<string, boolean> }>();
  const change = (k: ItemKey, attr: string, on: boolean) => {
    const entry = attributeChanges.get(keyString(k)) ?? { key: k, attrs: new Map<string, boolean>() };
    entry.attrs.set(attr, on);
    attributeChanges.set(keyString(k), entry);
  };
  for (const h of commit.pairHolders ?? [])
    change(KEYS.pairHolders(h.networkId, h.ip), `${HOLDER_PREFIX}${h.portId}`, h.holds);
  for (const p of commit.prefixPairs ?? [])
    change(KEYS.prefixPairs(p.networkId), `${PREFIX_PAIR_PREFIX}${p.cidr}#${p.portId}`, p.holds);
  for (const { key: k, attrs } of attributeChanges.values()) {
    // Unguarded: every commit that changes one writes the network state, guarded on its seq.
    const set = [...attrs].filter(([, on]) => on).map(([a]) => a);
    const remove = [...attrs].filter(([, on]) => !on).map(([a]) => a);
    const names = Object.fromEntries([...set, ...remove].map((a, i) => [`#h${i}`, a]));
    const clauses = [
      ...(set.length ? [`SET ${set.map((_, i) => `#h${i} = :t`).join(', ')}`] : []),
      ...(remove.length ? [`REMOVE ${remove.map((_, i) => `#h${set.length + i}`).join(', ')}`] : []),
    ];
    const values = set.length ? { ExpressionAttributeValues: { ':t': true } } : {};
    const update = {
      TableName,
      Key: k,
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: names,
    };
    push(k, { Update: { ...update, ...values } }, 100 + 96 * set.length);
  }
  for (const w of commit.routers) put(toRouterItem(w.value), versionGuard('version', w.expected));
  for (const w of commit.vips ?? []) put(toVipItem(w.value), versionGuard('version', w.expected));
  for (const id of new Set(
    (commit.vips ?? []).filter((w) => w.expected === null).map((w) => w.value.networkId),
  ))
    put({ ...KEYS.vipNetwork(id), networkId: id });
  for (const w of commit.agents) put(toAgentItem(w.value), versionGuard('revision', w.expected));
  if (commit.flags)
    put(toFlagsItem(commit.flags.value), versionGuard('revision', commit.flags.expected, true));
  const outboxSeq = new Map<string, number>();
  const membersAfter = new Map<string, string[]>();
  const optimistic: { networkId: string; host: string }[] = [];
  for (const w of commit.networks) {
    const state = w.value;
    const id = state.network.id;
    const records = commit.outbox.filter((o) => o.networkId === id).length;
    if (records > 1)
      throw new Error(`commit writes ${records} outbox records for network ${id}; one at most`);
    const item = toStateItem(state);
    if (records === 1) outboxSeq.set(id, Number(item.seq));
    membersAfter.set(id, Object.keys(state.index.members).sort());
    const key = KEYS.networkState(id);
    const before = w.previous ?? (w.expected === null ? undefined : ctx.previousNetwork(state));
    const hostsMoved = w.rewriteHosts === true || !before || !sameHosts(before.index, state.index);
    // the state names the HOSTS item it goes with, so a torn read of the two is seen (isTornRead)
    const stateItem = hostsMoved ? { ...item, hostsSeq: item.seq } : item;
    push(
      key,
      { Update: { TableName, Key: key, ...stateUpdate(stateItem, w.expected, records === 1) } },
      estimateItemBytes(stateItem),
    );
    if (hostsMoved) put(toHostsItem(state));
    for (const c of countWrites(TableName, id, before?.index.counts ?? {}, state.index.counts)) {
      if (c.optimistic) optimistic.push({ networkId: id, host: c.host });
      push(c.key, c.item, 100);
    }
    const haBefore = Object.keys(before?.strategies ?? {}).length > 0;
    const haAfter = Object.keys(state.strategies).length > 0;
    if (haAfter && !haBefore) put({ ...KEYS.haNetwork(id), networkId: id });
    if (haBefore && !haAfter) del(KEYS.haNetwork(id));
  }
  for (const record of commit.outbox)
    for (const item of toOutboxItems(
      record,
      ctx.writtenAt,
      outboxSeq.get(record.networkId),
      membersAfter.get(record.networkId),
    ))
      put(item);
  for (const check of commit.checks ?? []) {
    const { key, guard } = checkOf(check);
    if (!keys.has(keyString(key))) push(key, { ConditionCheck: { TableName, Key: key, ...guard } }, 100);
  }
  // the drift-audit sums last: they give way when the commit fills the transaction
  for (const d of digestTransactionItems(
    commit.digests ?? [],
    TableName,
    MAX_TRANSACTION_ITEMS - items.length,
  ))
    push(d.key, d.item, d.size);
  if (items.length > MAX_TRANSACTION_ITEMS || bytes > MAX_TRANSACTION_BYTES) {
    throw limitError(
      `commit needs ${items.length} items / ${bytes} bytes; a DynamoDB transaction holds ${MAX_TRANSACTION_ITEMS} items / ${MAX_TRANSACTION_BYTES} bytes`,
      { items: items.length, bytes },
    );
  }
  return { input: { TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }, optimistic };
}

/** A presence item write, and whether it assumed a count it did not read (`UNKNOWN_COUNT`). */
interface CountWrite {
  readonly host: string;
  readonly key: ItemKey;
  readonly item: TxItem;
  readonly optimistic: boolean;
}

/**
 * The presence items (`HOST#<host>` / `NET#<network>`, with `count`) a network write moves: only
 * hosts whose count changed, so a port event writes at most the hosts of its port, whatever the
 * network's size. A host joins with a Put of its exact count and leaves with a Delete; a count
 * not read (`UNKNOWN_COUNT` + d) moves by an atomic ADD whose condition is that the host stays
 * present. If it would not, the commit conflicts and the store reads that host's count before the
 * retry plans again (`createDynamoFactStore`). An exact count replacing an unread one (the full
 * recompute) is SET. The network's `seq` guard serialises every write of these items.
 */
export function countWrites(
  TableName: string,
  networkId: string,
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): CountWrite[] {
  const out: CountWrite[] = [];
  const hosts = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const host of hosts) {
    const prev = before[host];
    const next = after[host];
    if (prev === next) continue;
    const Key = KEYS.presence(host, networkId);
    const write = (item: TxItem, optimistic = false) => out.push({ host, key: Key, item, optimistic });
    if (next === undefined) {
      write({
        Delete: {
          TableName,
          Key,
          ...(prev !== undefined && !isUnknownCount(prev)
            ? {
                ConditionExpression: '#c = :c',
                ExpressionAttributeNames: { '#c': 'count' },
                ExpressionAttributeValues: { ':c': prev },
              }
            : {}),
        },
      });
      continue;
    }
    if (isUnknownCount(next) && (prev === undefined || !isUnknownCount(prev)))
      throw new Error(`presence count of ${host} in ${networkId} moved from ${prev} to an unread count`);
    if (prev === undefined) {
      write({
        Put: {
          TableName,
          Item: { ...Key, networkId, count: next },
          ConditionExpression: NOT_EXISTS,
        },
      });
    } else if (isUnknownCount(prev) && isUnknownCount(next)) {
      const d = next - prev;
      write(
        {
          Update: {
            TableName,
            Key,
            UpdateExpression: 'ADD #c :d',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':d': d, ...(d < 0 ? { ':min': 1 - d } : {}) },
            ...(d < 0 ? { ConditionExpression: '#c >= :min' } : {}),
          },
        },
        d < 0,
      );
    } else {
      write({
        Update: {
          TableName,
          Key,
          UpdateExpression: 'SET #c = :n, #nid = :nid',
          ExpressionAttributeNames: { '#c': 'count', '#nid': 'networkId' },
          ExpressionAttributeValues: {
            ':n': next,
            ':nid': networkId,
            ...(isUnknownCount(prev) ? {} : { ':c': prev }),
          },
          ...(isUnknownCount(prev) ? {} : { ConditionExpression: '#c = :c' }),
        },
      });
    }
  }
  return out;
}

/**
 * The state item as an update, so that `outboxSeq` (docs/data-model.md, "Cost per event") is kept
 * unless this commit writes an outbox record for the network; an item without one (written before
 * it existed) gets 0 here: the use-case flushed whatever was pending before it planned.
 */
function stateUpdate(item: Item, expected: number | null, withOutbox: boolean) {
  const guard = versionGuard('seq', expected);
  const names: Record<string, string> = { ...guard.ExpressionAttributeNames, '#os': 'outboxSeq' };
  const values: Record<string, unknown> = { ...guard.ExpressionAttributeValues };
  const sets: string[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (name === 'pk' || name === 'sk') continue;
    names[`#s_${name}`] = name;
    values[`:s_${name}`] = value;
    sets.push(`#s_${name} = :s_${name}`);
  }
  if (withOutbox) sets.push('#os = :s_seq');
  else {
    values[':zero'] = 0;
    sets.push('#os = if_not_exists(#os, :zero)');
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: guard.ConditionExpression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

interface CheckGuard {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

function checkOf(check: FactCheck): { key: ItemKey; guard: CheckGuard } {
  if (check.kind === 'agent')
    return { key: KEYS.agent(check.host), guard: versionGuard('revision', check.revision) };
  if (check.kind === 'router')
    return { key: KEYS.router(check.id), guard: versionGuard('version', check.version) };
  if (check.kind === 'routerPorts')
    return { key: KEYS.routerPortsSeq(check.id), guard: versionGuard('seq', check.seq, true) };
  if (check.kind === 'vipNotHeld')
    return {
      key: KEYS.vip(check.networkId, check.ip),
      // true too when the item does not exist (toVipItem keeps the whole record under `record`)
      guard: {
        ConditionExpression: 'attribute_not_exists(#r.#h.#p)',
        ExpressionAttributeNames: { '#r': 'record', '#h': 'holders', '#p': check.portId },
      },
    };
  if (check.kind === 'notOwned')
    return {
      key: KEYS.mac(check.networkId, check.mac),
      guard: { ConditionExpression: 'attribute_not_exists(pk)' },
    };
  return { key: KEYS.flags(), guard: versionGuard('revision', check.revision, true) };
}
