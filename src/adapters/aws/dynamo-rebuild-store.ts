import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { type PrefixPair, sortPrefixPairs } from '../../app/aap-index.js';
import type { RebuildStore, StoredDerived } from '../../app/ports.js';
import { batchGetItems, batchWriteItems, type WriteRequest } from './dynamo-batch.js';
import { decodeBlob } from './dynamo-codec.js';
import type { Item } from './dynamo-items.js';
import {
  HOLDER_PREFIX,
  type ItemKey,
  idAfter,
  KEYS,
  keyString,
  PREFIX,
  PREFIX_PAIR_PREFIX,
} from './dynamo-keys.js';

export interface DynamoRebuildStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Sort-key prefixes of the derived items a rebuild lists (docs/data-model.md). */
const HELD_SK = `${PREFIX.mac}heldx:`;
const HOLDERS_SK = 'AAP#';
const HOST_DIGEST_SK = `${KEYS.hostDigest('', '').sk}`;

/** The first engine's state body (before commit 83dbfaf): the index lived in the state item. */
interface LegacyStateBody {
  readonly index?: {
    readonly counts?: Readonly<Record<string, number>>;
    readonly members?: Readonly<Record<string, unknown>>;
  };
}

/**
 * The rebuild's reads and bulk writes on the table (`RebuildStore`): three Queries on the
 * network's partition (`MAC#heldx:`, `AAP#`, `DIGEST#`, keys and the attributes they need) and
 * one BatchGetItem (`STATE`, `HOSTS`, `PREFIXPAIRS`); presence counts by BatchGetItem and
 * BatchWriteItem, 100 and 25 at a time.
 */
export function createDynamoRebuildStore(options: DynamoRebuildStoreOptions): RebuildStore {
  const { client, tableName: TableName } = options;
  const pk = (networkId: string) => KEYS.networkState(networkId).pk;

  const queryPrefix = async (
    networkId: string,
    prefix: string,
    projection?: { readonly expression: string; readonly names?: Record<string, string> },
  ): Promise<Item[]> => {
    const out: Item[] = [];
    const pages = paginateQuery(
      { client },
      {
        TableName,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': pk(networkId), ':p': prefix },
        ...(projection ? { ProjectionExpression: projection.expression } : {}),
        ...(projection?.names ? { ExpressionAttributeNames: projection.names } : {}),
      },
    );
    for await (const page of pages) out.push(...((page.Items ?? []) as Item[]));
    return out;
  };

  const batchGet = (keys: readonly ItemKey[]) => batchGetItems(client, TableName, keys);

  return {
    async readDerived(networkId: string): Promise<StoredDerived> {
      const [heldItems, holderItems, digestItems, items] = await Promise.all([
        queryPrefix(networkId, HELD_SK, { expression: 'sk, #o', names: { '#o': 'owner' } }),
        queryPrefix(networkId, HOLDERS_SK),
        queryPrefix(networkId, HOST_DIGEST_SK, { expression: 'sk' }),
        batchGet([KEYS.networkState(networkId), KEYS.networkHosts(networkId), KEYS.prefixPairs(networkId)]),
      ]);
      const held = new Map<string, string>();
      for (const it of heldItems)
        if (typeof it.owner === 'string') held.set(idAfter(PREFIX.mac, String(it.sk)), it.owner);
      const holders = new Map<string, readonly string[]>();
      for (const it of holderItems) {
        const ids = Object.keys(it)
          .filter((k) => k.startsWith(HOLDER_PREFIX))
          .map((k) => k.slice(HOLDER_PREFIX.length))
          .sort();
        if (ids.length > 0) holders.set(String(it.sk).slice(HOLDERS_SK.length), ids);
      }
      const prefixItem = items.get(keyString(KEYS.prefixPairs(networkId))) ?? {};
      const prefixes: PrefixPair[] = Object.keys(prefixItem)
        .filter((k) => k.startsWith(PREFIX_PAIR_PREFIX))
        .map((k) => {
          const rest = k.slice(PREFIX_PAIR_PREFIX.length);
          const cut = rest.indexOf('#');
          return { cidr: rest.slice(0, cut), portId: rest.slice(cut + 1) };
        });
      const state = items.get(keyString(KEYS.networkState(networkId)));
      const hostsRecorded = items.has(keyString(KEYS.networkHosts(networkId)));
      return {
        held,
        holders,
        prefixes: sortPrefixPairs(prefixes),
        digestHosts: digestItems.map((it) => String(it.sk).slice(HOST_DIGEST_SK.length)).sort(),
        hostsRecorded,
        legacy: hostsRecorded ? null : legacyIndexOf(state),
      };
    },

    async readPresence(networkId, hosts) {
      const items = await batchGet(hosts.map((h) => KEYS.presence(h, networkId)));
      const out = new Map<string, number | null>();
      for (const h of hosts) {
        const it = items.get(keyString(KEYS.presence(h, networkId)));
        if (it) out.set(h, typeof it.count === 'number' ? it.count : null);
      }
      return out;
    },

    async writePresence(networkId, counts, gone) {
      await batchWriteItems(client, TableName, [
        ...Object.entries(counts).map(
          ([h, count]): WriteRequest => ({
            PutRequest: { Item: { ...KEYS.presence(h, networkId), networkId, count } },
          }),
        ),
        ...gone.map((h): WriteRequest => ({ DeleteRequest: { Key: KEYS.presence(h, networkId) } })),
      ]);
    },
  };
}

/** The hosts and members of a first-engine state item's index; null when it has none. */
function legacyIndexOf(state: Item | undefined): StoredDerived['legacy'] {
  const body = state?.body;
  if (!(body instanceof Uint8Array)) return null;
  const index = (decodeBlob(body) as LegacyStateBody).index;
  if (!index) return null;
  return {
    hosts: Object.keys(index.counts ?? {}).sort(),
    members: Object.keys(index.members ?? {}).sort(),
  };
}
