import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

export interface DynamoUsage {
  /** Requests per operation (GetItem, Query, TransactWriteItems, ...), failed ones included. */
  readonly requests: Record<string, number>;
  readonly readUnits: number;
  readonly writeUnits: number;
  /**
   * Sequential depth: requests started while no other request of the client was in flight. A
   * chain of awaited calls counts each; requests issued together (Promise.all) count once.
   */
  readonly rounds?: number;
}

interface Capacity {
  CapacityUnits?: number;
}

function unitsOf(consumed: Capacity | Capacity[] | undefined): number {
  if (!consumed) return 0;
  return (Array.isArray(consumed) ? consumed : [consumed]).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
}

/**
 * Counts requests and consumed capacity of every data-plane call made through a client: it asks
 * for `ReturnConsumedCapacity: TOTAL` on each call that supports it. The bench and the cost tests
 * read it; the functions log it per event.
 */
export function createDynamoMeter(client: DynamoDBClient) {
  let requests: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let rounds = 0;
  let inFlight = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      const isRead = READS.has(name);
      const isWrite = WRITES.has(name);
      const input = args.input as { ReturnConsumedCapacity?: string };
      if ((isRead || isWrite) && input.ReturnConsumedCapacity === undefined)
        input.ReturnConsumedCapacity = 'TOTAL';
      const op = name.replace(/Command$/, '');
      requests[op] = (requests[op] ?? 0) + 1;
      if (inFlight === 0) rounds++;
      inFlight++;
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } finally {
        inFlight--;
      }
      const units = unitsOf((result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
      if (isRead) readUnits += units;
      if (isWrite) writeUnits += units;
      return result;
    },
    { step: 'initialize', name: 'l2popDynamoMeter', override: true },
  );
  return {
    usage(): DynamoUsage {
      return { requests: { ...requests }, readUnits, writeUnits, rounds };
    },
    reset(): void {
      requests = {};
      readUnits = 0;
      writeUnits = 0;
      rounds = 0;
    },
  };
}

export type DynamoMeter = ReturnType<typeof createDynamoMeter>;
