import path from 'node:path';
import type { AwsClients } from '../../src/adapters/aws/aws-clients.js';
import type { ScheduledLambdaHandler } from '../../src/runtime/scheduled-handler.js';
import { meterSeams } from '../support/dynamo-meter.js';
import { combineSeams } from './combine-seams.js';
import { createFaultInjector, faultsFromEnv } from './faults.js';
import { loadBundledHandler } from './load-function.js';
import type { LocalResources } from './local-resources.js';
import { createLocalSchedule } from './local-schedule.js';
import { createPoller, type InvocationOutcome, type Poller } from './poller.js';

/** Which queue triggers which function: the event source mappings of serverless.yml. */
export const FUNCTION_QUEUES = {
  'port-events': 'PortEventsQueue',
  'ha-events': 'HaEventsQueue',
  'agent-events': 'AgentEventsQueue',
} as const;
export type FunctionName = keyof typeof FUNCTION_QUEUES;

/** The functions' timeouts in serverless.yml: a slower local invocation counts as failed, as on AWS. */
export const FUNCTION_TIMEOUTS_MS: Readonly<Record<FunctionName, number>> = {
  'port-events': 30_000,
  'ha-events': 120_000,
  'agent-events': 60_000,
};

export interface LocalStackOptions {
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly endpoints: { readonly dynamo: string; readonly sqs: string };
  /** Directory of the bundles (dist/functions). */
  readonly functionsDir: string;
  /**
   * Extra function environment (log level, queue prefix). `L2POP_FAULTS` and `L2POP_FAULT_SEED`
   * here are the local stack's own: it builds each SQS function with a fault injector
   * (tools/local/faults.ts) and does not pass them on.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Pollers per queue (the mapping's concurrency); each has its own cold-started function instance. */
  readonly concurrency?: number;
  readonly batchSize?: number;
  readonly waitTimeSeconds?: number;
  readonly retryDelaySeconds?: number;
  readonly onInvoke?: (fn: FunctionName, outcome: InvocationOutcome) => void;
  /** Runs the outbox sweeper on this period, as its EventBridge schedule does; unset: not run. */
  readonly sweepIntervalMs?: number;
}

/**
 * The local controller: every function bundle behind its pollers, on the local table and queues.
 * The runtime tests run it; a local mode (`l2pop local`, not written yet) is meant to run the same.
 */
export async function startLocalStack(options: LocalStackOptions) {
  const table = options.resources.tables.StateTable;
  if (!table) throw new Error('no StateTable in the local resources');
  const { L2POP_FAULTS: _faults, L2POP_FAULT_SEED: _seed, ...functionEnv } = options.env ?? {};
  const faults = faultsFromEnv(options.env ?? {});
  const env = {
    AWS_REGION: 'us-east-1',
    L2POP_TABLE_NAME: table,
    L2POP_DYNAMODB_ENDPOINT: options.endpoints.dynamo,
    L2POP_SQS_ENDPOINT: options.endpoints.sqs,
    L2POP_AGENT_QUEUE_PREFIX: `${options.resources.stackName}-agent-cmd-`,
    // What Lambda sets for an on-demand instance; Powertools publishes ColdStart only then.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    // No X-Ray daemon here (src/runtime/config.ts).
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...functionEnv,
  };
  const pollers: Poller[] = [];
  for (const [fn, queueId] of Object.entries(FUNCTION_QUEUES) as [FunctionName, string][]) {
    const queue = options.resources.queues[queueId];
    if (!queue) throw new Error(`no queue ${queueId} in the local resources`);
    for (let i = 0; i < (options.concurrency ?? 1); i++) {
      // Every function is metered (its log lines carry `dynamo`, and a metering proxy reads the
      // consumed capacity the meter asks for); each instance has its own fault injector, as each
      // cold start drew from its own seeded generator.
      const seams = faults
        ? combineSeams(meterSeams, createFaultInjector(faults.probabilities, faults.seed))
        : meterSeams;
      const handler = await loadBundledHandler(path.join(options.functionsDir, `${fn}.mjs`), env, seams);
      pollers.push(
        createPoller({
          sqs: options.clients.sqs,
          queueUrl: queue.url,
          queueArn: queue.arn,
          handler,
          functionName: `${options.resources.stackName}-${fn}`,
          timeoutMs: FUNCTION_TIMEOUTS_MS[fn],
          batchSize: options.batchSize ?? 10,
          waitTimeSeconds: options.waitTimeSeconds ?? 1,
          ...(options.retryDelaySeconds === undefined
            ? {}
            : { retryDelaySeconds: options.retryDelaySeconds }),
          onInvoke: (o) => options.onInvoke?.(fn, o),
        }),
      );
    }
  }
  for (const p of pollers) p.start();
  const sweeper =
    options.sweepIntervalMs === undefined
      ? null
      : createLocalSchedule({
          handler: await loadBundledHandler<ScheduledLambdaHandler>(
            path.join(options.functionsDir, 'outbox-sweeper.mjs'),
            env,
            meterSeams,
          ),
          functionName: `${options.resources.stackName}-outbox-sweeper`,
          intervalMs: options.sweepIntervalMs,
        });
  sweeper?.start();
  return {
    env,
    pollers,
    sweeper,
    agentQueuePrefix: env.L2POP_AGENT_QUEUE_PREFIX,
    async stop(): Promise<void> {
      await Promise.all([...pollers.map((p) => p.stop()), sweeper?.stop()]);
    },
  };
}

export type LocalStack = Awaited<ReturnType<typeof startLocalStack>>;
