import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { NetworkDigestWrites } from '../../app/ports.js';
import type { DigestWrite } from '../../core/digest-record.js';
import { estimateItemBytes } from './dynamo-codec.js';
import { type ItemKey, KEYS } from './dynamo-keys.js';

type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A commit's drift-audit sum writes as transaction items (docs/drift-audit.md): an `add` write is
 * an UpdateItem that `ADD`s numbers to attributes (no read, no condition: the state write's guard
 * already orders commits) and `SET`s the rest; a `put` write (the full recompute) replaces the item.
 */
export function digestTransactionItems(
  digests: readonly NetworkDigestWrites[],
  TableName: string,
  room: number,
): { key: ItemKey; item: TxItem; size: number }[] {
  const out: { key: ItemKey; item: TxItem; size: number }[] = [];
  const total = digests.reduce((n, d) => n + d.writes.length, 0);
  for (const d of digests)
    for (const w of total <= room ? d.writes : [incomplete(d)]) {
      const key = w.host === null ? KEYS.digest(d.networkId) : KEYS.hostDigest(d.networkId, w.host);
      const size = estimateItemBytes({ ...key, ...w.add, ...w.set });
      if (w.mode === 'put')
        out.push({ key, item: { Put: { TableName, Item: { ...key, ...w.add, ...w.set } } }, size });
      else out.push({ key, item: { Update: { TableName, Key: key, ...updateOf(w) } }, size });
    }
  return out;
}

/**
 * When the commit leaves too little room in its transaction for every sum write, each network's
 * record is replaced by one marked not comparable (its audits report `unverifiable`): the commit
 * itself must not fail for the audit's sake.
 */
function incomplete(d: NetworkDigestWrites): DigestWrite {
  const v = d.writes.find((w) => w.host === null)?.set.v ?? 0;
  return { host: null, mode: 'put', add: {}, set: { v, groups: {}, c: false }, setIfAbsent: {} };
}

function updateOf(w: DigestWrite) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds: string[] = [];
  const sets: string[] = [];
  let i = 0;
  const slot = (name: string, value: unknown) => {
    const n = i++;
    names[`#d${n}`] = name;
    values[`:d${n}`] = value;
    return n;
  };
  for (const [k, v] of Object.entries(w.add)) {
    const n = slot(k, v);
    adds.push(`#d${n} :d${n}`);
  }
  for (const [k, v] of Object.entries(w.set)) {
    const n = slot(k, v);
    sets.push(`#d${n} = :d${n}`);
  }
  for (const [k, v] of Object.entries(w.setIfAbsent)) {
    const n = slot(k, v);
    sets.push(`#d${n} = if_not_exists(#d${n}, :d${n})`);
  }
  const parts = [
    ...(sets.length > 0 ? [`SET ${sets.join(', ')}`] : []),
    ...(adds.length > 0 ? [`ADD ${adds.join(', ')}`] : []),
  ];
  return {
    UpdateExpression: parts.join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
