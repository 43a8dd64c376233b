import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createAgentQueues } from '../adapters/aws/agent-queues.js';
import { createAwsClients } from '../adapters/aws/aws-clients.js';
import { createDynamoFactStore } from '../adapters/aws/dynamo-fact-store.js';
import { createRejectedStore } from '../adapters/aws/dynamo-rejected-store.js';
import { createSqsCommandPublisher } from '../adapters/aws/sqs-command-publisher.js';
import type { PendingOutboxes } from '../app/ports.js';
import type { Deps } from '../app/reconcile.js';
import { loadConfig, type RuntimeConfig } from './config.js';
import { createFaultInjector } from './faults.js';

/**
 * The composition root: config, SDK clients, adapters and telemetry, built once per cold start
 * (style.md §6). Every function's handler gets its runtime from here.
 */
export function createRuntime(functionName: string, config: RuntimeConfig = loadConfig()) {
  const clients = createAwsClients({
    region: config.region,
    dynamoEndpoint: config.dynamoEndpoint,
    sqsEndpoint: config.sqsEndpoint,
  });
  const faults = createFaultInjector(config.faults, config.faultSeed);
  const factStore = createDynamoFactStore({
    client: clients.doc,
    tableName: config.tableName,
    defaultFlags: config.defaultFlags,
    tombstoneTtlSeconds: config.tombstoneTtlDays * 24 * 3600,
  });
  const store = faults.wrapStore(factStore);
  const queues = createAgentQueues({
    sqs: clients.sqs,
    prefix: config.agentQueuePrefix,
    attributes: config.agentQueueKmsKey
      ? { KmsMasterKeyId: config.agentQueueKmsKey }
      : { SqsManagedSseEnabled: 'true' },
  });
  const publisher = createSqsCommandPublisher({
    sqs: clients.sqs,
    queues,
    concurrency: config.fanoutConcurrency,
    afterHost: () => faults.afterHost(),
  });
  const deps: Deps = { store, publisher, maxAttempts: config.maxAttempts };
  const rejected = createRejectedStore({
    client: clients.doc,
    tableName: config.tableName,
    ttlDays: config.rejectedTtlDays,
  });
  const logger = new Logger({ serviceName: functionName, logLevel: config.logLevel });
  // Batch-level metrics (BatchRecords, ColdStart) concern no one event: strategy `none`.
  const metrics = new Metrics({
    namespace: config.metricsNamespace,
    serviceName: functionName,
    defaultDimensions: { strategy: 'none' },
  });
  const eventMetrics = new Metrics({ namespace: config.metricsNamespace, serviceName: functionName });
  return {
    functionName,
    config,
    clients,
    deps,
    /** The pending-outbox index (gsi1), for the sweeper. */
    pending: factStore as PendingOutboxes,
    queues,
    publisher,
    rejected,
    faults,
    logger,
    metrics,
    eventMetrics,
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
