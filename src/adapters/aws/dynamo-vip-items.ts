import type { VipRecord } from '../../core/vip-view.js';
import type { Item } from './dynamo-items.js';
import { KEYS } from './dynamo-keys.js';

/**
 * A VIP record (docs/vip.md, "Recording") as its own item, `NET#<network>` / `VIP#<ip>`, beside
 * the network's ports: `version` is the guard, `record` the whole record (small: one claim state,
 * a few holders).
 */
export function toVipItem(record: VipRecord): Item {
  return { ...KEYS.vip(record.networkId, record.ip), version: record.version, record };
}

export function fromVipItem(item: Item): VipRecord {
  const record = item.record;
  if (typeof record !== 'object' || record === null || typeof item.version !== 'number')
    throw new Error(`corrupt item ${String(item.pk)}/${String(item.sk)}: bad VIP record`);
  return record as VipRecord;
}
