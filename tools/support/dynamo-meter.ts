import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoUsage, MeteredDynamo, RuntimeSeams } from '../../src/runtime/seams.js';

export type { DynamoUsage };

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

interface Capacity {
  CapacityUnits?: number;
}

function unitsOf(consumed: Capacity | Capacity[] | undefined): number {
  if (!consumed) return 0;
  return (Array.isArray(consumed) ? consumed : [consumed]).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
}

/**
 * Counts requests and consumed capacity of every data-plane call made through a client: it asks
 * for `ReturnConsumedCapacity: TOTAL` on each call that supports it. A test seam, never shipped
 * (test/layout/bundle.test.ts): the cost tests and the benches attach it to their clients, and the
 * local stack to the functions' client through `meterSeams` (the functions then log it per event).
 * The deployed functions do not meter: operators read the table's own `AWS/DynamoDB` metrics.
 */
export function createDynamoMeter(client: DynamoDBClient): MeteredDynamo & { reset(): void } {
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

/** The seam that meters a function's DynamoDB client (src/runtime/seams.ts, `meterDynamo`). */
export const meterSeams: RuntimeSeams = { meterDynamo: createDynamoMeter };
