import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Commit, FactCheck, NetworkState } from '../../app/ports.js';
import { routerOfPort } from '../../app/router-ports.js';
import { isTombstone, type PortRecord } from '../../core/transitions.js';
import type { Port } from '../../core/types.js';
import {
  estimateItemBytes,
  limitError,
  MAX_ITEM_BYTES,
  MAX_TRANSACTION_BYTES,
  MAX_TRANSACTION_ITEMS,
} from './dynamo-codec.js';
import {
  type Item,
  toAgentItem,
  toFlagsItem,
  toOutboxItems,
  toPortItem,
  toRouterItem,
  toRouterPortItem,
  toStateItem,
} from './dynamo-items.js';
import { type ItemKey, KEYS, keyString } from './dynamo-keys.js';

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
export function planTransaction(commit: Commit, ctx: TransactionContext): TransactWriteCommandInput {
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
  for (const w of commit.routers) put(toRouterItem(w.value), versionGuard('version', w.expected));
  for (const w of commit.agents) put(toAgentItem(w.value), versionGuard('revision', w.expected));
  if (commit.flags)
    put(toFlagsItem(commit.flags.value), versionGuard('revision', commit.flags.expected, true));
  const outboxSeq = new Map<string, number>();
  for (const w of commit.networks) {
    const state = w.value;
    const id = state.network.id;
    const records = commit.outbox.filter((o) => o.networkId === id).length;
    if (records > 1)
      throw new Error(`commit writes ${records} outbox records for network ${id}; one at most`);
    const item = toStateItem(state);
    if (records === 1) outboxSeq.set(id, Number(item.seq));
    const key = KEYS.networkState(id);
    push(
      key,
      { Update: { TableName, Key: key, ...stateUpdate(item, w.expected, records === 1) } },
      estimateItemBytes(item),
    );
    const before = w.previous ?? (w.expected === null ? undefined : ctx.previousNetwork(state));
    const hostsBefore = new Set(Object.keys(before?.index.counts ?? {}));
    const hostsAfter = new Set(Object.keys(state.index.counts));
    for (const h of [...hostsAfter].sort())
      if (!hostsBefore.has(h)) put({ ...KEYS.presence(h, id), networkId: id });
    for (const h of [...hostsBefore].sort()) if (!hostsAfter.has(h)) del(KEYS.presence(h, id));
    const haBefore = Object.keys(before?.strategies ?? {}).length > 0;
    const haAfter = Object.keys(state.strategies).length > 0;
    if (haAfter && !haBefore) put({ ...KEYS.haNetwork(id), networkId: id });
    if (haBefore && !haAfter) del(KEYS.haNetwork(id));
  }
  for (const record of commit.outbox)
    for (const item of toOutboxItems(record, ctx.writtenAt, outboxSeq.get(record.networkId))) put(item);
  for (const check of commit.checks ?? []) {
    const { key, guard } = checkOf(check);
    if (!keys.has(keyString(key))) push(key, { ConditionCheck: { TableName, Key: key, ...guard } }, 100);
  }
  if (items.length > MAX_TRANSACTION_ITEMS || bytes > MAX_TRANSACTION_BYTES) {
    throw limitError(
      `commit needs ${items.length} items / ${bytes} bytes; a DynamoDB transaction holds ${MAX_TRANSACTION_ITEMS} items / ${MAX_TRANSACTION_BYTES} bytes`,
      { items: items.length, bytes },
    );
  }
  return { TransactItems: items, ReturnConsumedCapacity: 'TOTAL' };
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

function checkOf(check: FactCheck): { key: ItemKey; guard: ReturnType<typeof versionGuard> } {
  if (check.kind === 'agent')
    return { key: KEYS.agent(check.host), guard: versionGuard('revision', check.revision) };
  if (check.kind === 'router')
    return { key: KEYS.router(check.id), guard: versionGuard('version', check.version) };
  return { key: KEYS.flags(), guard: versionGuard('revision', check.revision, true) };
}
