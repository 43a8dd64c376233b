import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { loadConfig } from './config.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { RuntimeSeams } from './seams.js';

/** A scheduled function's handler as the runtime (and the local stack) invokes it. */
export type ScheduledLambdaHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface ScheduledFunctionSpec<R> {
  /** The function name: logger service, metric service. */
  readonly name: string;
  /** The use-case run on each tick; it observes its own outcome (logs and metrics). */
  readonly run: (runtime: Runtime, event: ScheduledEvent) => Promise<R>;
}

/**
 * The chain of a function triggered by an EventBridge schedule: the same composition root, logger
 * (Lambda context) and metrics (cold start, `strategy` dimension) as the queue functions, and no
 * batch processing. An error fails the invocation, so Lambda's own Errors metric sees it and the
 * asynchronous invocation is retried.
 */
export function createScheduledHandler<R>(spec: ScheduledFunctionSpec<R>, runtime?: Runtime) {
  const rt = runtime ?? createRuntime(spec.name);
  // One `ScheduledRuns` per tick: a heartbeat an alarm can watch for missing data, and the
  // metric that keeps logMetrics from warning "No application metrics to publish" on every quiet
  // tick (the use-case publishes its own per-outcome metrics as it goes).
  return middy((event: ScheduledEvent) => {
    rt.metrics.addMetric('ScheduledRuns', MetricUnit.Count, 1);
    return spec.run(rt, event);
  })
    .use(captureLambdaHandler(rt.tracer, { captureResponse: false }))
    .use(injectLambdaContext(rt.logger, { resetKeys: true }))
    .use(logMetrics(rt.metrics, { captureColdStartMetric: true }));
}

/**
 * The `withSeams` export of a scheduled function's bundle, as `sqsHandlerWithSeams`: only the local
 * stack calls it (to meter the sweeper's DynamoDB client); Lambda invokes `handler`.
 */
export function scheduledHandlerWithSeams<R>(spec: ScheduledFunctionSpec<R>) {
  return (seams: RuntimeSeams) => createScheduledHandler(spec, createRuntime(spec.name, loadConfig(), seams));
}
