import { randomBytes } from 'node:crypto';
import { INBOUND_QUEUES, type QueueUrls } from '../../src/adapters/aws/inbound-queues.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import type { Strategy } from '../../src/core/types.js';
import { type LocalServers, startController, startLocalServers } from '../local/boot.js';
import { type ProgressEvent, runScenario, type ScenarioResult } from './run-scenario.js';
import type { Scenario } from './scenario.js';
import { createSimFleet } from './sim-fleet.js';

export interface AbOptions {
  readonly strategies: readonly Strategy[];
  /** The scenario each strategy runs (the default one differs only in its flag flip). */
  readonly scenarioFor: (strategy: Strategy) => Scenario;
  /** Persist DynamoDB Local here; unset: in memory. */
  readonly dataDir?: string | undefined;
  readonly phaseTimeoutMs?: number;
  readonly progress?: (
    e: ProgressEvent | { stage: 'boot' | 'stack'; strategy?: Strategy; ms: number },
  ) => void;
}

export interface AbResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly bootMs: number;
  readonly totalMs: number;
  readonly results: readonly StrategyRun[];
}

export interface StrategyRun extends ScenarioResult {
  readonly stackName: string;
  /** Function invocations, records the functions failed (SQS retried them), invocations that threw. */
  readonly invocations: { readonly count: number; readonly failedRecords: number; readonly errors: number };
}

/** Function environment for the A/B: the strategy is the deployment default (L2POP_DEFAULT_STRATEGY). */
function functionEnv(strategy: Strategy): Record<string, string> {
  return { L2POP_DEFAULT_STRATEGY: strategy, L2POP_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
}

async function runStrategy(servers: LocalServers, strategy: Strategy, runId: string, options: AbOptions) {
  const meters = servers.meters;
  if (!meters) throw new Error('the A/B run needs metered servers');
  const stackName = `l2pop-ab-${strategy}-${runId}`;
  const invocations = { count: 0, failedRecords: 0, errors: 0 };
  const controller = await startController(servers, {
    stackName,
    env: functionEnv(strategy),
    onInvoke: (_fn, o) => {
      if (o.records > 0) invocations.count++;
      invocations.failedRecords += o.failed;
      if (o.error !== undefined) invocations.errors++;
    },
  });
  const urls = Object.fromEntries(
    INBOUND_QUEUES.map((id) => {
      const q = controller.resources.queues[id];
      if (!q) throw new Error(`infra/resources.yml has no ${id}`);
      return [id, q.url];
    }),
  ) as unknown as QueueUrls;
  const fleet = createSimFleet({
    sqs: servers.clients.sqs,
    prefix: controller.stack.agentQueuePrefix,
    agentEventsUrl: urls.AgentEventsQueue,
  });
  try {
    const result = await runScenario(
      {
        strategy,
        sqs: servers.clients.sqs,
        urls,
        fleet,
        defaultFlags: { ...DEFAULT_FLAGS, defaultStrategy: strategy },
        usage: () => ({ dynamo: meters.dynamo.usage(), sqs: meters.sqs.usage() }),
        phaseTimeoutMs: options.phaseTimeoutMs ?? 30_000,
        ...(options.progress ? { progress: options.progress } : {}),
      },
      options.scenarioFor(strategy),
    );
    return { ...result, stackName, invocations };
  } finally {
    await fleet.stop();
    await controller.stop();
  }
}

/**
 * The A/B run: one DynamoDB Local and one fauxqs, metered on the functions' side, and for each
 * strategy in turn its own stack (table and queues under `l2pop-ab-<strategy>-<run>`), the bundled
 * functions behind the poller with that strategy as the deployment default, and a fresh fleet of
 * simulated agents driven through the scenario. Strategies run one after the other so they do not
 * compete for the two cores and their timings stay comparable.
 */
export async function runAb(options: AbOptions): Promise<AbResult> {
  const started = performance.now();
  const runId = randomBytes(3).toString('hex');
  const servers = await startLocalServers({ dataDir: options.dataDir, meter: true });
  const bootMs = performance.now() - started;
  options.progress?.({ stage: 'boot', ms: bootMs });
  try {
    const results = [];
    for (const strategy of options.strategies)
      results.push(await runStrategy(servers, strategy, runId, options));
    return {
      runId,
      startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
      bootMs,
      totalMs: performance.now() - started,
      results,
    };
  } finally {
    await servers.stop();
  }
}
