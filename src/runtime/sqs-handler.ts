import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CORRELATION_ATTRIBUTE, RECEIPT_ATTRIBUTE } from '../adapters/aws/dynamo-receipt-store.js';
import { dispatchEvent } from '../app/dispatch.js';
import type { PortEventOutcome } from '../app/on-port-changes.js';
import type { Deps, EventResult } from '../app/reconcile.js';
import type { InboundEvent } from '../contracts/events.js';
import { isInvalidInputError } from '../core/errors.js';
import { loadConfig } from './config.js';
import { withEventContext } from './correlation.js';
import { observeApplied, observeRejected, observeResult, observeTransient } from './observe.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { DynamoUsage, RuntimeSeams } from './seams.js';

export interface SqsFunctionSpec<E extends InboundEvent> {
  /** The function name: logger service, metric service, rejected-record source. */
  readonly name: string;
  /** The queue's parser: throws InvalidInputError with a code for anything it does not accept. */
  readonly parse: (body: string) => E;
  /** Runs before the use-case (the agent function creates the agent's queue on its first report). */
  readonly prepare?: (runtime: Runtime, event: E) => Promise<void>;
  /** Commits a batch's events of one key together (port events: one commit per network). */
  readonly coalesce?: Coalescing<E>;
}

/**
 * How a function coalesces its batch: `keyOf` names the events committed together (within one
 * message group, in queue order), `run` commits them and returns one outcome per event. It throws
 * only for a transient failure, which fails every record of the group. An event whose key is null
 * runs on its own, and the events of its message group after it are coalesced apart from those
 * before it, so no event is committed ahead of an uncoalesced one queued before it.
 */
export interface Coalescing<E extends InboundEvent> {
  readonly keyOf: (event: E) => string | null;
  readonly run: (deps: Deps, key: string, events: readonly E[]) => Promise<readonly PortEventOutcome[]>;
}

/**
 * A record's outcome when its group was coalesced; undefined, or a promise of null, when the
 * record runs on its own.
 */
type CoalescedLookup = (record: SQSRecord) => Promise<PortEventOutcome | null> | undefined;

/**
 * Groups the batch's parsed records by message group and key, in order, and runs each group once,
 * when its first record is handled (inside that record's correlation context, so the group's
 * outbox record carries the first event's correlation id, and a meter, if attached, counts it there). A record
 * that does not parse is left to the record handler, which rejects it on its own.
 */
function coalesceBatch<E extends InboundEvent>(
  rt: Runtime,
  spec: SqsFunctionSpec<E>,
  records: readonly SQSRecord[],
): CoalescedLookup {
  const coalesce = spec.coalesce;
  if (!coalesce) return () => undefined;
  const groups = new Map<string, { key: string; events: E[]; ids: string[] }>();
  /** Message group -> the uncoalesced events seen in it so far: the run its next events join. */
  const runs = new Map<string, number>();
  for (const record of records) {
    let event: E;
    try {
      event = spec.parse(record.body);
    } catch {
      continue;
    }
    const key = coalesce.keyOf(event);
    const messageGroup = record.attributes.MessageGroupId ?? '';
    const run = runs.get(messageGroup) ?? 0;
    if (key === null) {
      runs.set(messageGroup, run + 1);
      continue;
    }
    const id = `${messageGroup}\u0000${run}\u0000${key}`;
    const group = groups.get(id) ?? { key, events: [], ids: [] };
    group.events.push(event);
    group.ids.push(record.messageId);
    groups.set(id, group);
  }
  const byRecord = new Map<string, () => Promise<PortEventOutcome | null>>();
  for (const group of groups.values()) {
    // A group the coalesced path refuses as a whole (a terminal error no single event caused, such
    // as a commit past DynamoDB's transaction limit) runs its records one by one instead, so no
    // event is rejected for its neighbours; what part of it committed is then stale.
    let run: Promise<readonly PortEventOutcome[] | null> | undefined;
    group.ids.forEach((messageId, i) => {
      byRecord.set(messageId, async () => {
        run ??= coalesce.run(rt.deps, group.key, group.events).catch((err) => {
          if (!isInvalidInputError(err)) throw err;
          rt.logger.warn('coalesced group refused, its records run one by one', {
            key: group.key,
            error: err,
          });
          return null;
        });
        const outcomes = await run;
        if (!outcomes) return null;
        const outcome = outcomes[i];
        if (!outcome) throw new Error(`coalesced group ${group.key} returned no outcome for ${messageId}`);
        return outcome;
      });
    });
  }
  return (record) => byRecord.get(record.messageId)?.();
}

async function reject(
  rt: Runtime,
  record: SQSRecord,
  eventType: string,
  err: Parameters<typeof observeRejected>[3],
) {
  // The record first: should it fail, the message is a transient failure (retried, counted as
  // TransientFailures by the caller), never reported as a rejection.
  await rt.rejected.record({
    messageId: record.messageId,
    source: rt.functionName,
    code: err.code,
    reason: err.message,
    details: err.details,
    body: record.body,
    messageGroupId: record.attributes.MessageGroupId,
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
  });
  observeRejected(rt, record, eventType, err);
  await receipt(rt, record, { outcome: 'rejected', eventType, code: err.code, reason: err.message });
}

/** The record's correlation id: the sender's attribute, else the SQS message id. */
export function correlationIdOf(record: SQSRecord): string {
  return record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue || record.messageId;
}

/** The `type` of a body, for the outbox origin before the body is parsed (`unparsed` if none). */
function eventTypeOf(body: string): string {
  const m = /"type"\s*:\s*"([a-z.]{1,32})"/.exec(body);
  return m?.[1] ?? 'unparsed';
}

/** Writes what became of the record when its sender asked (`l2pop send`); otherwise nothing. */
async function receipt(
  rt: Runtime,
  record: SQSRecord,
  r: {
    outcome: 'applied' | 'stale' | 'unchanged' | 'rejected';
    eventType: string;
    code?: string;
    reason?: string;
  },
) {
  if (!record.messageAttributes?.[RECEIPT_ATTRIBUTE]) return;
  await rt.receipts.record({ ...r, messageId: record.messageId, correlationId: correlationIdOf(record) });
}

/** What a metered DynamoDB client was asked between two readings of its meter. */
function usageSince(before: DynamoUsage, after: DynamoUsage): DynamoUsage {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.requests)) {
    const delta = n - (before.requests[op] ?? 0);
    if (delta > 0) requests[op] = delta;
  }
  return {
    requests,
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
  };
}

/**
 * One record: parse, run its use-case, observe. A terminal error (InvalidInputError) is logged,
 * counted, stored as a rejected record and acknowledged, so it never blocks its FIFO group; any
 * other error is transient and rethrown, so the batch processor lists it in `batchItemFailures`.
 */
export function createRecordHandler<E extends InboundEvent>(
  rt: Runtime,
  spec: SqsFunctionSpec<E>,
  coalesced: CoalescedLookup = () => undefined,
) {
  const run = async (record: SQSRecord, event: E): Promise<EventResult> => {
    const outcome = await coalesced(record);
    if (!outcome) return dispatchEvent(rt.deps, event);
    if (outcome.kind === 'rejected') throw outcome.error;
    return outcome.result;
  };
  const handle = async (record: SQSRecord): Promise<void> => {
    let eventType = 'unparsed';
    const dynamoBefore = rt.meter?.usage();
    const sqsBefore = { ...rt.publisher.usage };
    rt.seams.beforeRecord?.();
    try {
      const event = spec.parse(record.body);
      eventType = event.type;
      await spec.prepare?.(rt, event);
      const result = await run(record, event);
      await receipt(rt, record, { outcome: result.outcome, eventType });
      if (event.type === 'agent.applied') await observeApplied(rt, event);
      const dynamo = dynamoBefore && rt.meter ? usageSince(dynamoBefore, rt.meter.usage()) : null;
      observeResult(rt, record, eventType, result, {
        ...(dynamo ? { dynamo } : {}),
        sqs: {
          calls: rt.publisher.usage.calls - sqsBefore.calls,
          messages: rt.publisher.usage.messages - sqsBefore.messages,
        },
      });
    } catch (err) {
      try {
        if (isInvalidInputError(err)) return await reject(rt, record, eventType, err);
        throw err;
      } catch (failure) {
        if (!rt.seams.raised?.(failure)) observeTransient(rt, record, eventType, failure);
        throw failure;
      }
    }
  };
  // Every log line of the record, the outbox records it commits and the commands they send carry
  // its correlation id (src/runtime/correlation.ts).
  return async (record: SQSRecord): Promise<void> => {
    const correlationId = correlationIdOf(record);
    rt.logger.appendKeys({ correlationId });
    try {
      const sentAt = Number(record.attributes.SentTimestamp) || Date.now();
      await withEventContext({ correlationId, sentAt, eventType: eventTypeOf(record.body) }, () =>
        handle(record),
      );
    } finally {
      rt.logger.removeKeys(['correlationId']);
    }
  };
}

/**
 * The shared chain of every inbound function: middy with the Powertools logger (Lambda context)
 * and metrics, and Powertools' FIFO batch processor with `skipGroupOnError`: a failed record fails
 * the rest of its message group only, and the response lists them in `batchItemFailures`.
 */
export function createSqsHandler<E extends InboundEvent>(spec: SqsFunctionSpec<E>, runtime?: Runtime) {
  const rt = runtime ?? createRuntime(spec.name);
  const processor = new SqsFifoPartialProcessorAsync();
  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    rt.metrics.addMetric('BatchRecords', MetricUnit.Count, event.Records.length);
    const recordHandler = createRecordHandler(rt, spec, coalesceBatch(rt, spec, event.Records));
    const run = () =>
      processPartialResponse(event, recordHandler, processor, {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      });
    return rt.seams.aroundBatch ? rt.seams.aroundBatch(event, run) : run();
  };
  return middy(handle)
    .use(captureLambdaHandler(rt.tracer, { captureResponse: false }))
    .use(injectLambdaContext(rt.logger, { resetKeys: true }))
    .use(logMetrics(rt.metrics, { captureColdStartMetric: true }));
}

/**
 * The `withSeams` export of an SQS function's bundle: the same chain built with seams, which only
 * the local stack calls (tools/local/local-stack.ts attaches the fault injector with it). Lambda
 * invokes `handler`, which has none. Call it while the function's environment is set: it reads
 * the config as a cold start does.
 */
export function sqsHandlerWithSeams<E extends InboundEvent>(spec: SqsFunctionSpec<E>) {
  return (seams: RuntimeSeams) => createSqsHandler(spec, createRuntime(spec.name, loadConfig(), seams));
}
