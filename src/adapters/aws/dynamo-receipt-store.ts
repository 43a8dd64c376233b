import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from './dynamo-keys.js';

/** The SQS message attribute with which a sender asks for a receipt (`l2pop send`). */
export const RECEIPT_ATTRIBUTE = 'l2pop-receipt';
/** The SQS message attribute that carries a correlation id chosen by the sender. */
export const CORRELATION_ATTRIBUTE = 'correlation-id';
/** On agent commands: `{at, eventType, strategy}` of the inbound event behind them (apply-lag metric). */
export const ORIGIN_ATTRIBUTE = 'l2pop-origin';

/** What the controller did with one message: the answer `l2pop send` prints per event. */
export interface Receipt {
  readonly messageId: string;
  readonly outcome: 'applied' | 'stale' | 'unchanged' | 'rejected';
  readonly eventType: string;
  readonly correlationId: string;
  /** Rejected: the code and the reason. */
  readonly code?: string;
  readonly reason?: string;
  /** ISO time the controller finished with it. */
  readonly at: string;
}

export interface ReceiptStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

/**
 * Receipts, written only for messages that carry the `l2pop-receipt` attribute (operators' sends,
 * not the production event stream), one item each, expiring after a day (`ttl`).
 */
export function createReceiptStore(options: ReceiptStoreOptions) {
  const { client, tableName: TableName } = options;
  const now = options.now ?? Date.now;
  const ttlSeconds = options.ttlSeconds ?? 24 * 3600;
  return {
    async record(r: Omit<Receipt, 'at'>): Promise<void> {
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            ...KEYS.receipt(r.messageId),
            ...r,
            at: new Date(now()).toISOString(),
            ttl: Math.floor(now() / 1000) + ttlSeconds,
          },
        }),
      );
    },
    async get(messageId: string): Promise<Receipt | undefined> {
      const r = await client.send(new GetCommand({ TableName, Key: KEYS.receipt(messageId) }));
      if (!r.Item) return undefined;
      const i = r.Item;
      return {
        messageId,
        outcome: i.outcome as Receipt['outcome'],
        eventType: String(i.eventType),
        correlationId: String(i.correlationId),
        ...(i.code ? { code: String(i.code) } : {}),
        ...(i.reason ? { reason: String(i.reason) } : {}),
        at: String(i.at),
      };
    },
  };
}

export type ReceiptStore = ReturnType<typeof createReceiptStore>;
