import type { SQSEvent } from 'aws-lambda';
import type { FactStore } from '../app/ports.js';

/**
 * Decorators a function can be built with, for the local stack and the tests only: the crash points
 * of docs/crash-safety.md (tools/local/faults.ts) attach here. The deployed functions attach none;
 * `createRuntime` and `createSqsHandler` without seams are the production chain, and the bundles
 * carry no fault injector (test/layout/bundle.test.ts).
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
}

/** No seams: the production chain. */
export const NO_SEAMS: RuntimeSeams = {};
