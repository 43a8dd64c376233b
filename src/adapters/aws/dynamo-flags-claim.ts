import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS } from './dynamo-keys.js';

/** Another operator holds the next revision: the flags they set would be overwritten. */
export class FlagsClaimedError extends Error {
  override readonly name = 'FlagsClaimedError';
  constructor(
    readonly revision: number,
    readonly by: string,
    readonly at: string,
  ) {
    super(`flags revision ${revision} is being set by ${by} since ${at}`);
  }
}

export interface FlagsClaimOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** A claim older than this is abandoned (its operator died before the flags were recorded). */
  readonly expiryMs?: number;
  readonly now?: () => number;
}

/**
 * Reserves the revision after `current` for one operator, with a conditional write on the
 * `FLAGS`/`CLAIM` item: it succeeds only if no claim is ahead of the recorded revision (or that
 * claim expired). Two operators who read the same revision cannot both send the next one, so
 * neither silently overwrites the other's change; the loser is told who holds it.
 */
export async function claimFlagsRevision(o: FlagsClaimOptions, current: number, by: string): Promise<number> {
  const now = o.now ?? Date.now;
  const next = current + 1;
  const at = new Date(now()).toISOString();
  const expired = new Date(now() - (o.expiryMs ?? 300_000)).toISOString();
  try {
    await o.client.send(
      new UpdateCommand({
        TableName: o.tableName,
        Key: KEYS.flagsClaim(),
        UpdateExpression: 'SET revision = :next, claimedBy = :by, claimedAt = :at',
        ConditionExpression: 'attribute_not_exists(revision) OR revision <= :current OR claimedAt < :expired',
        ExpressionAttributeValues: {
          ':next': next,
          ':by': by,
          ':at': at,
          ':current': current,
          ':expired': expired,
        },
      }),
    );
    return next;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    const r = await o.client.send(new GetCommand({ TableName: o.tableName, Key: KEYS.flagsClaim() }));
    throw new FlagsClaimedError(
      Number(r.Item?.revision),
      String(r.Item?.claimedBy),
      String(r.Item?.claimedAt),
    );
  }
}
