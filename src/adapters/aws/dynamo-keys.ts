/**
 * Keys of the single table (docs/data-model.md). Every item has a string `pk` and `sk`; the
 * sparse `gsi1` (gsi1pk/gsi1sk) serves the operator views: pending outboxes and rejected records.
 */
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

const key = (pk: string, sk: string): ItemKey => ({ pk, sk });

/** The attribute prefix of a pair holder in a `KEYS.pairHolders` item. */
export const HOLDER_PREFIX = 'h#';

/** The attribute prefix of one prefix pair in a `KEYS.prefixPairs` item: `p#<cidr>#<port>`. */
export const PREFIX_PAIR_PREFIX = 'p#';

export const KEYS = {
  networkState: (networkId: string) => key(`NET#${networkId}`, 'STATE'),
  /** The network's present hosts and their members; rewritten only when a host joins, leaves or changes. */
  networkHosts: (networkId: string) => key(`NET#${networkId}`, 'HOSTS'),
  /** The commit `seq` of the network's outbox record published last (docs/data-model.md, "Cost per event"). */
  published: (networkId: string) => key(`NET#${networkId}`, 'PUBLISHED'),
  /** The network's drift-audit sums and version (docs/drift-audit.md); never read by the planner. */
  digest: (networkId: string) => key(`NET#${networkId}`, 'DIGEST'),
  /** One host's own drift-audit sums in the network. */
  hostDigest: (networkId: string, host: string) => key(`NET#${networkId}`, `DIGEST#${host}`),
  port: (networkId: string, portId: string) => key(`NET#${networkId}`, `PORT#${portId}`),
  portPointer: (portId: string) => key(`PORT#${portId}`, 'PORT'),
  mac: (networkId: string, mac: string) => key(`NET#${networkId}`, `MAC#${mac}`),
  /** One VIP's claim record (docs/vip.md, "Recording"). */
  vip: (networkId: string, ip: string) => key(`NET#${networkId}`, `VIP#${ip}`),
  /** The ports whose bare allowed-address pair is `ip`, one attribute `h#<port>` each (src/app/aap-index.ts). */
  pairHolders: (networkId: string, ip: string) => key(`NET#${networkId}`, `AAP#${ip}`),
  /** The network's prefix pairs (wider than one address), one attribute `p#<cidr>#<port>` each. */
  prefixPairs: (networkId: string) => key(`NET#${networkId}`, 'PREFIXPAIRS'),
  outboxHead: (networkId: string, outboxKey: string) => key(`NET#${networkId}`, `OUTBOX#${outboxKey}`),
  outboxPart: (networkId: string, outboxKey: string, part: number) =>
    key(`NET#${networkId}`, `OUTBOX#${outboxKey}#${String(part).padStart(4, '0')}`),
  router: (routerId: string) => key(`ROUTER#${routerId}`, 'ROUTER'),
  routerPort: (routerId: string, portId: string) => key(`ROUTER#${routerId}`, `PORT#${portId}`),
  /** The write counter of the router's ports (`RouterRead.portsSeq`); sorts before them in a Query. */
  routerPortsSeq: (routerId: string) => key(`ROUTER#${routerId}`, 'PORT'),
  agent: (host: string) => key(`HOST#${host}`, 'AGENT'),
  /** The host's presence in the network, with its presence `count`. */
  presence: (host: string, networkId: string) => key(`HOST#${host}`, `NET#${networkId}`),
  /** What the agent reports it holds for the network (`agent.applied`): operators' view only. */
  applied: (host: string, networkId: string) => key(`HOST#${host}`, `APPLIED#${networkId}`),
  /** When the controller last heard from the host (any agent event): its queue's lifecycle. */
  seen: (host: string) => key(`HOST#${host}`, 'SEEN'),
  /** The host's last drift-audit result per network (operators' view, and the next audit's input). */
  audit: (host: string) => key(`HOST#${host}`, 'AUDIT'),
  haNetwork: (networkId: string) => key('HANET', `NET#${networkId}`),
  /** A network holding a VIP record: written with its first one (docs/vip.md). */
  vipNetwork: (networkId: string) => key('VIPNET', `NET#${networkId}`),
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
  mac: 'MAC#',
  vip: 'VIP#',
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
