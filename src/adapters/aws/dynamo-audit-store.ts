import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRead, AuditStore, HostAuditRecord } from '../../app/audit-ports.js';
import type { DigestRecord } from '../../core/digest-record.js';
import type { Agent } from '../../core/types.js';
import type { Item } from './dynamo-items.js';
import { type ItemKey, KEYS, keyString } from './dynamo-keys.js';

export interface DynamoAuditStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

const isConditionFailed = (err: unknown) => (err as Error)?.name === 'ConditionalCheckFailedException';

/** Networks one BatchGetItem serves: two keys each, plus the host's agent and audit record. */
export const AUDIT_NETWORKS_PER_READ = 49;

function recordOf(item: Item | undefined): HostAuditRecord | undefined {
  if (!item) return undefined;
  return {
    host: String(item.host),
    bootId: String(item.bootId),
    networks: (item.networks ?? {}) as HostAuditRecord['networks'],
    revision: Number(item.revision),
  };
}

/**
 * The drift audit on the single table (docs/drift-audit.md): per audited network its sum record
 * `NET#<n>` / `DIGEST` and this host's `NET#<n>` / `DIGEST#<host>`, plus the host's `AGENT` and
 * `AUDIT` items, in one strongly consistent BatchGetItem (one more per 49 networks). The items
 * are O(1) in the network's size: the read costs the same for 2 ports as for 20,000.
 */
export function createDynamoAuditStore(options: DynamoAuditStoreOptions): AuditStore {
  const { client, tableName: TableName } = options;
  const batchGet = async (keys: readonly ItemKey[]): Promise<Map<string, Item>> => {
    const out = new Map<string, Item>();
    let request = [...keys];
    for (let attempt = 0; request.length > 0; attempt++) {
      const res = await client.send(
        new BatchGetCommand({ RequestItems: { [TableName]: { Keys: request, ConsistentRead: true } } }),
      );
      for (const item of res.Responses?.[TableName] ?? [])
        out.set(keyString({ pk: String(item.pk), sk: String(item.sk) }), item);
      request = (res.UnprocessedKeys?.[TableName]?.Keys ?? []) as ItemKey[];
      if (request.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
    }
    return out;
  };
  return {
    async read(host, networkIds): Promise<AuditRead> {
      const items = new Map<string, Item>();
      for (let i = 0; i === 0 || i < networkIds.length; i += AUDIT_NETWORKS_PER_READ) {
        const ids = networkIds.slice(i, i + AUDIT_NETWORKS_PER_READ);
        const keys = ids.flatMap((id) => [KEYS.digest(id), KEYS.hostDigest(id, host)]);
        if (i === 0) keys.push(KEYS.agent(host), KEYS.audit(host));
        for (const [k, v] of await batchGet(keys)) items.set(k, v);
      }
      const at = (k: ItemKey) => items.get(keyString(k)) as DigestRecord | undefined;
      return {
        networks: new Map(networkIds.map((id) => [id, at(KEYS.digest(id))])),
        hosts: new Map(networkIds.map((id) => [id, at(KEYS.hostDigest(id, host))])),
        agent: items.get(keyString(KEYS.agent(host)))?.agent as Agent | undefined,
        record: recordOf(items.get(keyString(KEYS.audit(host)))),
      };
    },
    async write(record, expected) {
      try {
        await client.send(
          new PutCommand({
            TableName,
            Item: { ...KEYS.audit(record.host), ...record },
            ...(expected === null
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#r = :r',
                  ExpressionAttributeNames: { '#r': 'revision' },
                  ExpressionAttributeValues: { ':r': expected },
                }),
          }),
        );
        return 'written';
      } catch (err) {
        if (isConditionFailed(err)) return 'conflict';
        throw err;
      }
    },
    async get(host) {
      const got = await client.send(
        new GetCommand({ TableName, Key: KEYS.audit(host), ConsistentRead: true }),
      );
      return recordOf(got.Item);
    },
  };
}
