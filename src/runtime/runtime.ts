import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { agentQueueTags } from '../adapters/aws/agent-queue-tags.js';
import { createAgentQueueList, createAgentQueues } from '../adapters/aws/agent-queues.js';
import { createAwsClients } from '../adapters/aws/aws-clients.js';
import { createDynamoAgentSeen } from '../adapters/aws/dynamo-agent-seen.js';
import { createDynamoAppliedStore } from '../adapters/aws/dynamo-applied-store.js';
import { createDynamoFactStore } from '../adapters/aws/dynamo-fact-store.js';
import { createReceiptStore } from '../adapters/aws/dynamo-receipt-store.js';
import { createRejectedStore } from '../adapters/aws/dynamo-rejected-store.js';
import { createSqsCommandPublisher } from '../adapters/aws/sqs-command-publisher.js';
import type { PendingOutboxes } from '../app/ports.js';
import type { Deps } from '../app/reconcile.js';
import { loadConfig, type RuntimeConfig } from './config.js';
import { publishStamped, stampCorrelation } from './correlation.js';
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
  // X-Ray: the handler (middy, src/runtime/sqs-handler.ts) and every DynamoDB and SQS call.
  const tracer = new Tracer({ serviceName: functionName, enabled: config.tracingEnabled });
  if (config.tracingEnabled) {
    tracer.captureAWSv3Client(clients.dynamo);
    tracer.captureAWSv3Client(clients.sqs);
  }
  const faults = createFaultInjector(config.faults, config.faultSeed);
  const factStore = createDynamoFactStore({
    client: clients.doc,
    tableName: config.tableName,
    defaultFlags: config.defaultFlags,
    tombstoneTtlSeconds: config.tombstoneTtlDays * 24 * 3600,
  });
  const store = stampCorrelation(faults.wrapStore(factStore));
  const queues = createAgentQueues({
    sqs: clients.sqs,
    prefix: config.agentQueuePrefix,
    attributes: config.agentQueueKmsKey
      ? { KmsMasterKeyId: config.agentQueueKmsKey }
      : { SqsManagedSseEnabled: 'true' },
    tags: (host) => agentQueueTags(config.agentQueuePrefix, host, new Date()),
  });
  const publisher = publishStamped(
    createSqsCommandPublisher({
      sqs: clients.sqs,
      queues,
      concurrency: config.fanoutConcurrency,
      afterHost: () => faults.afterHost(),
    }),
  );
  const applied = createDynamoAppliedStore({ client: clients.doc, tableName: config.tableName });
  const agentSeen = createDynamoAgentSeen({ client: clients.doc, tableName: config.tableName });
  const agentQueueList = createAgentQueueList({ sqs: clients.sqs, prefix: config.agentQueuePrefix });
  const deps: Deps = { store, publisher, maxAttempts: config.maxAttempts, applied };
  const receipts = createReceiptStore({ client: clients.doc, tableName: config.tableName });
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
    agentSeen,
    agentQueueList,
    rejected,
    receipts,
    faults,
    tracer,
    logger,
    metrics,
    eventMetrics,
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
