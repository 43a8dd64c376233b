/**
 * Keys of the single table (docs/data-model.md). Every item has a string `pk` and `sk`; the
 * sparse `gsi1` (gsi1pk/gsi1sk) serves the operator views: pending outboxes and rejected records.
 */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

const key = (pk: string, sk: string): ItemKey => ({ pk, sk });

export const KEYS = {
  networkState: (networkId: string) => key(`NET#${networkId}`, 'STATE'),
  /** The commit `seq` of the network's outbox record published last (docs/data-model.md, "Cost per event"). */
  published: (networkId: string) => key(`NET#${networkId}`, 'PUBLISHED'),
  port: (networkId: string, portId: string) => key(`NET#${networkId}`, `PORT#${portId}`),
  portPointer: (portId: string) => key(`PORT#${portId}`, 'PORT'),
  mac: (networkId: string, mac: string) => key(`NET#${networkId}`, `MAC#${mac}`),
  outboxHead: (networkId: string, outboxKey: string) => key(`NET#${networkId}`, `OUTBOX#${outboxKey}`),
  outboxPart: (networkId: string, outboxKey: string, part: number) =>
    key(`NET#${networkId}`, `OUTBOX#${outboxKey}#${String(part).padStart(4, '0')}`),
  router: (routerId: string) => key(`ROUTER#${routerId}`, 'ROUTER'),
  routerPort: (routerId: string, portId: string) => key(`ROUTER#${routerId}`, `PORT#${portId}`),
  agent: (host: string) => key(`HOST#${host}`, 'AGENT'),
  presence: (host: string, networkId: string) => key(`HOST#${host}`, `NET#${networkId}`),
  /** What the agent reports it holds for the network (`agent.applied`): operators' view only. */
  applied: (host: string, networkId: string) => key(`HOST#${host}`, `APPLIED#${networkId}`),
  /** When the controller last heard from the host (any agent event): its queue's lifecycle. */
  seen: (host: string) => key(`HOST#${host}`, 'SEEN'),
  haNetwork: (networkId: string) => key('HANET', `NET#${networkId}`),
  flags: () => key('FLAGS', 'FLAGS'),
  /** The revision an operator is setting (`l2pop flags set`): one writer per revision. */
  flagsClaim: () => key('FLAGS', 'CLAIM'),
  rejected: (messageId: string) => key(`REJECTED#${messageId}`, 'REJECTED'),
  /** What became of a message whose sender asked for a receipt (`l2pop send`); expires in a day. */
  receipt: (messageId: string) => key(`RECEIPT#${messageId}`, 'RECEIPT'),
  /** The latest failover (`ha.state` version) of a network and the agents it waits for; expires in a day. */
  failover: (networkId: string) => key(`FAILOVER#${networkId}`, 'FAILOVER'),
} as const;

/** Sort-key prefixes for the range reads. */
export const PREFIX = {
  port: 'PORT#',
  outbox: 'OUTBOX#',
  network: 'NET#',
  applied: 'APPLIED#',
  host: 'HOST#',
} as const;

export const GSI1 = 'gsi1';
/** Pending outbox heads are spread over this many gsi1 partitions. */
export const OUTBOX_SHARDS = 16;

export function outboxShard(networkId: string): string {
  let h = 0;
  for (let i = 0; i < networkId.length; i++) h = (h * 31 + networkId.charCodeAt(i)) >>> 0;
  return `OUTBOX#${h % OUTBOX_SHARDS}`;
}

export const REJECTED_GSI_PK = 'REJECTED';

export function keyString(k: ItemKey): string {
  return `${k.pk}\u0000${k.sk}`;
}

/** The id after a key prefix (`NET#n1` -> `n1`). */
export function idAfter(prefix: string, value: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}
