import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RejectionCode } from '../../core/errors.js';
import { GSI1, KEYS, REJECTED_GSI_PK } from './dynamo-keys.js';

/** A message rejected for good, kept for operators to list (`list()`; docs/data-model.md). */
export interface RejectedRecord {
  readonly messageId: string;
  /** The function (inbound queue) that rejected it. */
  readonly source: string;
  readonly code: RejectionCode;
  readonly reason: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** The body, cut to `MAX_BODY` characters. */
  readonly body: string;
  readonly messageGroupId: string | undefined;
  readonly receiveCount: number;
  /** ISO time of rejection. */
  readonly at: string;
}

const MAX_BODY = 4096;

export interface RejectedStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly ttlDays?: number;
  readonly now?: () => number;
}

/**
 * Rejected records in the state table: one item per message id (a redelivered reject overwrites
 * itself), listed newest last through the sparse `gsi1`, expiring after `ttlDays`.
 */
export function createRejectedStore(options: RejectedStoreOptions) {
  const { client, tableName: TableName } = options;
  const now = options.now ?? Date.now;
  const ttlSeconds = (options.ttlDays ?? 30) * 24 * 3600;
  return {
    async record(r: Omit<RejectedRecord, 'at' | 'body'> & { body: string }): Promise<RejectedRecord> {
      const at = new Date(now()).toISOString();
      const stored: RejectedRecord = { ...r, body: r.body.slice(0, MAX_BODY), at };
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            ...KEYS.rejected(r.messageId),
            ...stored,
            gsi1pk: REJECTED_GSI_PK,
            gsi1sk: `${at}#${r.messageId}`,
            ttl: Math.floor(now() / 1000) + ttlSeconds,
          },
        }),
      );
      return stored;
    },
    /** Rejected records since `since` (ISO time), oldest first; the GSI holds code, reason, source and time. */
    async list(
      since = '',
    ): Promise<Pick<RejectedRecord, 'messageId' | 'code' | 'reason' | 'source' | 'at'>[]> {
      const out: Pick<RejectedRecord, 'messageId' | 'code' | 'reason' | 'source' | 'at'>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName,
            IndexName: GSI1,
            KeyConditionExpression: since ? 'gsi1pk = :pk AND gsi1sk >= :since' : 'gsi1pk = :pk',
            ExpressionAttributeValues: since
              ? { ':pk': REJECTED_GSI_PK, ':since': since }
              : { ':pk': REJECTED_GSI_PK },
            ExclusiveStartKey: start,
          }),
        );
        for (const i of page.Items ?? []) {
          out.push({
            messageId: String(i.pk).slice('REJECTED#'.length),
            code: i.code as RejectionCode,
            reason: String(i.reason),
            source: String(i.source),
            at: String(i.at),
          });
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
  };
}

export type RejectedStore = ReturnType<typeof createRejectedStore>;
