import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from './dynamo-items.js';
import { type ItemKey, keyString } from './dynamo-keys.js';

export type WriteRequest = { DeleteRequest: { Key: ItemKey } } | { PutRequest: { Item: Item } };

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));

/** BatchWriteItem, 25 requests at a time, retrying what DynamoDB leaves unprocessed. */
export async function batchWriteItems(
  client: DynamoDBDocumentClient,
  TableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let request = requests.slice(i, i + 25);
    for (let attempt = 0; request.length > 0; attempt++) {
      const res = await client.send(new BatchWriteCommand({ RequestItems: { [TableName]: [...request] } }));
      request = (res.UnprocessedItems?.[TableName] ?? []) as WriteRequest[];
      if (request.length > 0) await backoff(attempt);
    }
  }
}

/** BatchGetItem, strongly consistent, 100 keys at a time, retrying unprocessed keys; by `keyString`. */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  TableName: string,
  keys: readonly ItemKey[],
): Promise<Map<string, Item>> {
  const unique = [...new Map(keys.map((k) => [keyString(k), k])).values()];
  const out = new Map<string, Item>();
  for (let i = 0; i < unique.length; i += 100) {
    let request: ItemKey[] = unique.slice(i, i + 100);
    for (let attempt = 0; request.length > 0; attempt++) {
      const res = await client.send(
        new BatchGetCommand({ RequestItems: { [TableName]: { Keys: request, ConsistentRead: true } } }),
      );
      for (const item of res.Responses?.[TableName] ?? [])
        out.set(keyString({ pk: String(item.pk), sk: String(item.sk) }), item as Item);
      request = (res.UnprocessedKeys?.[TableName]?.Keys ?? []) as ItemKey[];
      if (request.length > 0) await backoff(attempt);
    }
  }
  return out;
}
