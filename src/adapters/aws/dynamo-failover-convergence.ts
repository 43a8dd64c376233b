import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConvergedFailover, FailoverConvergence, OutboxRecord } from '../../app/ports.js';
import { KEYS } from './dynamo-keys.js';

export interface FailoverConvergenceOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

/**
 * Failover convergence in the state table: one item per network, `FAILOVER#<network>`/`FAILOVER`,
 * for the latest version an `ha.state` produced: the hosts it was sent to and still waits for (a
 * string set), each reporting host's apply time, and the event's send time, strategy and
 * correlation id. Every write is one conditional request on that item, so it is O(1) per
 * (report, network) and holds under duplicates and reordering:
 *
 * - `open` writes the item only for a higher version than the one it holds: re-publishing the
 *   same record (a crash between publish and delete, the sweeper) does not reset it;
 * - `applied` removes the host only while the set still contains it and the item's version is at
 *   most the reported one: a duplicate, or a report of an older version, fails the condition and
 *   changes nothing. The update that empties the set is the one that reports the failover, once.
 */
export function createDynamoFailoverConvergence(options: FailoverConvergenceOptions) {
  const { client, tableName: TableName } = options;
  const now = options.now ?? Date.now;
  const ttlSeconds = options.ttlSeconds ?? 24 * 3600;
  return {
    async open(record: OutboxRecord): Promise<{ superseded: boolean }> {
      const hosts = [...new Set(record.commands.map((c) => c.host))];
      if (record.origin?.eventType !== 'ha.state' || hosts.length === 0) return { superseded: false };
      try {
        // UpdateItem, not PutItem: the sweeper's role, which publishes too, has no PutItem.
        const r = await client.send(
          new UpdateCommand({
            TableName,
            Key: KEYS.failover(record.networkId),
            UpdateExpression:
              'SET version = :v, pending = :p, hosts = :n, applied = :none, #at = :at, strategy = :s, correlationId = :c, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(version) OR version < :v',
            ExpressionAttributeNames: { '#at': 'at', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':v': record.version,
              ':p': new Set(hosts),
              ':n': hosts.length,
              ':none': {},
              ':at': record.origin.at,
              ':s': record.origin.strategy,
              ':c': record.correlationId ?? '',
              ':ttl': Math.floor(now() / 1000) + ttlSeconds,
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        // The previous failover of the network was still waiting for some agent: it gives no value.
        return { superseded: r.Attributes?.pending !== undefined };
      } catch (err) {
        if (isConditionFailure(err)) return { superseded: false };
        throw err;
      }
    },
    async applied(host: string, networkId: string, version: number, at: number) {
      let item: Record<string, unknown> | undefined;
      try {
        const r = await client.send(
          new UpdateCommand({
            TableName,
            Key: KEYS.failover(networkId),
            UpdateExpression: 'DELETE pending :hs SET applied.#h = :at',
            ConditionExpression: 'contains(pending, :h) AND version <= :v',
            ExpressionAttributeNames: { '#h': host },
            ExpressionAttributeValues: { ':hs': new Set([host]), ':h': host, ':v': version, ':at': at },
            ReturnValues: 'ALL_NEW',
          }),
        );
        item = r.Attributes;
      } catch (err) {
        if (isConditionFailure(err)) return undefined;
        throw err;
      }
      // DynamoDB removes a set attribute when its last element goes: this report was the last one.
      if (!item || item.pending !== undefined) return undefined;
      const applies = Object.values((item.applied ?? {}) as Record<string, number>).map(Number);
      const last = Math.max(...applies);
      return {
        networkId,
        version: Number(item.version),
        strategy: String(item.strategy),
        correlationId:
          typeof item.correlationId === 'string' && item.correlationId !== ''
            ? item.correlationId
            : undefined,
        hosts: Number(item.hosts),
        ms: Math.max(0, last - Number(item.at)),
      } satisfies ConvergedFailover;
    },
  } satisfies FailoverConvergence;
}
