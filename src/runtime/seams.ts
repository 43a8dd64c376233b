import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import type { FactStore } from '../app/ports.js';

/** What a metered DynamoDB client has been asked since it was metered (tools/support/dynamo-meter.ts). */
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

/** A meter attached to a DynamoDB client: its cumulative usage. */
export interface MeteredDynamo {
  usage(): DynamoUsage;
}

/**
 * Decorators a function can be built with, for the local stack and the tests only: the crash points
 * of docs/crash-safety.md (tools/local/faults.ts) and the DynamoDB meter
 * (tools/support/dynamo-meter.ts) attach here. The deployed functions attach none; `createRuntime`
 * and `createSqsHandler` without seams are the production chain, and the bundles carry neither
 * the fault injector nor the meter (test/layout/bundle.test.ts).
 */
export interface RuntimeSeams {
  /** Wraps the fact store every use-case commits through. */
  readonly wrapStore?: (store: FactStore) => FactStore;
  /** Runs after each host's messages are sent. */
  readonly afterHost?: () => void;
  /** Runs one invocation's batch; what it throws fails the whole invocation. */
  readonly aroundBatch?: <T>(event: SQSEvent, run: () => Promise<T>) => Promise<T>;
  /** Runs before each record of the batch. */
  readonly beforeRecord?: () => void;
  /** Whether an error was raised by the seams on purpose: it is not counted as a transient failure. */
  readonly raised?: (err: unknown) => boolean;
  /**
   * Meters the runtime's DynamoDB client at cold start: each record's log line then carries the
   * requests and capacity units it used (`dynamo`). Unmetered, it carries none.
   */
  readonly meterDynamo?: (client: DynamoDBClient) => MeteredDynamo;
}

/** No seams: the production chain. */
export const NO_SEAMS: RuntimeSeams = {};
