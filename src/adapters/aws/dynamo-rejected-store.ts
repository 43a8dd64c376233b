import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RejectionCode } from '../../core/errors.js';
import { GSI1, KEYS, REJECTED_GSI_PK } from './dynamo-keys.js';

/** A message rejected for good, kept for operators to list (`list()`; docs/data-model.md). */
export interface RejectedRecord {
  readonly messageId: string;
  /** The function (inbound queue) that rejected it. */
  readonly source: string;
  readonly code: RejectionCode;
  /** The reason, cut to `MAX_REASON` characters. */
  readonly reason: string;
  /**
   * The rejection's details as JSON, cut to `MAX_DETAILS` characters. Details echo untrusted input
   * (a `type` that is an object 40 levels deep, a `v` of 2^60 or 1e-200), which DynamoDB cannot
   * store as attributes (32 nesting levels; numbers of 38 digits between 1e-130 and 1e126), so they
   * are kept as one bounded string, never as a map.
   */
  readonly details: string;
  /** The body, cut to `MAX_BODY` characters. */
  readonly body: string;
  readonly messageGroupId: string | undefined;
  readonly receiveCount: number;
  /** ISO time of rejection. */
  readonly at: string;
}

const MAX_BODY = 4096;
const MAX_REASON = 1024;
const MAX_DETAILS = 2048;

/** What a caller hands in: details as the error carried them (untrusted). */
export type RejectionInput = Omit<RejectedRecord, 'at' | 'details'> & {
  readonly details: Readonly<Record<string, unknown>>;
};

/** The rejected record could not be written, not even in its minimal form: a transient error. */
export class RejectedRecordWriteError extends Error {
  override readonly name = 'RejectedRecordWriteError';
  readonly messageId: string;
  constructor(messageId: string, cause: unknown) {
    super(`could not write the rejected record of ${messageId}: ${(cause as Error)?.message}`, { cause });
    this.messageId = messageId;
  }
}

function boundedJson(value: unknown, max: number): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch (err) {
    text = `unserialisable: ${(err as Error).message}`;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

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
    /**
     * Writes the record whatever the input: every untrusted part is a bounded string. Should
     * DynamoDB still refuse it, a minimal record (id, source, code, reason) is written instead; if
     * that fails too, `RejectedRecordWriteError` (transient: the message is retried, not acknowledged).
     */
    async record(r: RejectionInput): Promise<RejectedRecord> {
      const at = new Date(now()).toISOString();
      const stored: RejectedRecord = {
        messageId: r.messageId,
        source: r.source,
        code: r.code,
        reason: r.reason.slice(0, MAX_REASON),
        details: boundedJson(r.details, MAX_DETAILS),
        body: r.body.slice(0, MAX_BODY),
        messageGroupId: r.messageGroupId,
        receiveCount: Number.isSafeInteger(r.receiveCount) ? r.receiveCount : 0,
        at,
      };
      const put = (fields: Partial<RejectedRecord>) =>
        client.send(
          new PutCommand({
            TableName,
            Item: {
              ...KEYS.rejected(r.messageId),
              ...fields,
              gsi1pk: REJECTED_GSI_PK,
              gsi1sk: `${at}#${r.messageId}`,
              ttl: Math.floor(now() / 1000) + ttlSeconds,
            },
          }),
        );
      try {
        await put(stored);
        return stored;
      } catch {
        const minimal = { source: stored.source, code: stored.code, reason: stored.reason, at };
        try {
          await put(minimal);
        } catch (err) {
          throw new RejectedRecordWriteError(r.messageId, err);
        }
        return { ...stored, details: '', body: '' };
      }
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
