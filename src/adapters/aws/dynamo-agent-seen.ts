import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AgentSeen } from '../../app/ports.js';
import { KEYS } from './dynamo-keys.js';

export interface AgentSeenStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

const isConditionFailed = (err: unknown) => (err as Error)?.name === 'ConditionalCheckFailedException';

/**
 * When the controller last heard from each host: `HOST#<host>` / `SEEN`, `seenAt` in ms since the
 * epoch (the controller's clock). Written on every agent event, read by the agent queue sweep.
 * A write never moves the time back (a late, older event loses the condition).
 */
export function createDynamoAgentSeen(options: AgentSeenStoreOptions): AgentSeen {
  const { client, tableName: TableName } = options;
  const write = async (host: string, at: number, condition: string) => {
    try {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: KEYS.seen(host),
          UpdateExpression: 'SET seenAt = :at',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  };
  return {
    touch: (host, at) => write(host, at, 'attribute_not_exists(seenAt) OR seenAt < :at'),
    startClock: (host, at) => write(host, at, 'attribute_not_exists(seenAt)'),
    async lastSeen(host) {
      const got = await client.send(
        new GetCommand({ TableName, Key: KEYS.seen(host), ConsistentRead: true }),
      );
      const at = got.Item?.seenAt;
      return typeof at === 'number' ? at : undefined;
    },
  };
}
