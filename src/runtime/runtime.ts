import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { agentQueueTags } from '../adapters/aws/agent-queue-tags.js';
import { createAgentQueueList, createAgentQueues } from '../adapters/aws/agent-queues.js';
import { createAwsClients } from '../adapters/aws/aws-clients.js';
import { createDynamoAgentSeen } from '../adapters/aws/dynamo-agent-seen.js';
import { createDynamoAppliedStore } from '../adapters/aws/dynamo-applied-store.js';
import { createDynamoAuditStore } from '../adapters/aws/dynamo-audit-store.js';
import { createDynamoFactStore } from '../adapters/aws/dynamo-fact-store.js';
import { createDynamoFailoverConvergence } from '../adapters/aws/dynamo-failover-convergence.js';
import { createDynamoRebuildStore } from '../adapters/aws/dynamo-rebuild-store.js';
import { createReceiptStore } from '../adapters/aws/dynamo-receipt-store.js';
import { createRejectedStore } from '../adapters/aws/dynamo-rejected-store.js';
import { createSqsCommandPublisher } from '../adapters/aws/sqs-command-publisher.js';
import type { PendingOutboxes } from '../app/ports.js';
import type { Deps } from '../app/reconcile.js';
import { createRouterNetworkHints } from '../app/router-network-hints.js';
import { loadConfig, type RuntimeConfig } from './config.js';
import { publishStamped, stampCorrelation } from './correlation.js';
import { trackFailovers } from './failover-tracking.js';
import { emitMetrics } from './observe.js';
import { NO_SEAMS, type RuntimeSeams } from './seams.js';

/**
 * The composition root: config, SDK clients, adapters and telemetry, built once per cold start
 * (style.md §6). Every function's handler gets its runtime from here. `seams` are for the local
 * stack and the tests (src/runtime/seams.ts); the deployed functions pass none.
 */
export function createRuntime(
  functionName: string,
  config: RuntimeConfig = loadConfig(),
  seams: RuntimeSeams = NO_SEAMS,
) {
  const clients = createAwsClients({
    region: config.region,
    dynamoEndpoint: config.dynamoEndpoint,
    sqsEndpoint: config.sqsEndpoint,
  });
  // Only the local stack and the tests meter (src/runtime/seams.ts); deployed, operators read the
  // table's own AWS/DynamoDB capacity metrics.
  const meter = seams.meterDynamo ? seams.meterDynamo(clients.dynamo) : null;
  // X-Ray: the handler (middy, src/runtime/sqs-handler.ts) and every DynamoDB and SQS call.
  const tracer = new Tracer({ serviceName: functionName, enabled: config.tracingEnabled });
  if (config.tracingEnabled) {
    tracer.captureAWSv3Client(clients.dynamo);
    tracer.captureAWSv3Client(clients.sqs);
  }
  const factStore = createDynamoFactStore({
    client: clients.doc,
    tableName: config.tableName,
    defaultFlags: config.defaultFlags,
    tombstoneTtlSeconds: config.tombstoneTtlDays * 24 * 3600,
  });
  const store = stampCorrelation(seams.wrapStore ? seams.wrapStore(factStore) : factStore);
  const queues = createAgentQueues({
    sqs: clients.sqs,
    prefix: config.agentQueuePrefix,
    attributes: config.agentQueueKmsKey
      ? { KmsMasterKeyId: config.agentQueueKmsKey }
      : { SqsManagedSseEnabled: 'true' },
    tags: (host) => agentQueueTags(config.agentQueuePrefix, host, new Date()),
  });
  const publisher = createSqsCommandPublisher({
    sqs: clients.sqs,
    queues,
    concurrency: config.fanoutConcurrency,
    ...(seams.afterHost ? { afterHost: seams.afterHost } : {}),
  });
  const applied = createDynamoAppliedStore({ client: clients.doc, tableName: config.tableName });
  const agentSeen = createDynamoAgentSeen({ client: clients.doc, tableName: config.tableName });
  const agentQueueList = createAgentQueueList({ sqs: clients.sqs, prefix: config.agentQueuePrefix });
  const failovers = createDynamoFailoverConvergence({ client: clients.doc, tableName: config.tableName });
  const logger = new Logger({ serviceName: functionName, logLevel: config.logLevel });
  const eventMetrics = new Metrics({ namespace: config.metricsNamespace, serviceName: functionName });
  // Every publication (after a commit, by a later event's flush, by the sweeper) first opens the
  // failover an ha.state record starts, so the agents' reports can close it.
  // publishStamped is outermost: a record published right after its commit gets the stamped copy
  // (correlation id, origin) that failover tracking and the agents read.
  const tracked = publishStamped(
    trackFailovers(publisher, failovers, (record) => {
      logger.warn('failover superseded before every agent applied it: no convergence value', {
        networkId: record.networkId,
        version: record.version,
        strategy: record.origin?.strategy ?? 'none',
      });
      emitMetrics(eventMetrics, { strategy: record.origin?.strategy ?? 'none' }, { FailoverSuperseded: 1 });
    }),
  );
  const audits = {
    store: createDynamoAuditStore({ client: clients.doc, tableName: config.tableName }),
    limits: config.audit,
  };
  const deps: Deps = {
    store,
    publisher: tracked,
    maxAttempts: config.maxAttempts,
    applied,
    audits,
    vip: config.vip,
    overlayIpVersion: config.overlayIpVersion,
    rebuild: createDynamoRebuildStore({ client: clients.doc, tableName: config.tableName }),
    // Per cold start, like the SDK clients: a warm function remembers where each router moved.
    routerNetworks: createRouterNetworkHints(),
  };
  const receipts = createReceiptStore({ client: clients.doc, tableName: config.tableName });
  const rejected = createRejectedStore({
    client: clients.doc,
    tableName: config.tableName,
    ttlDays: config.rejectedTtlDays,
  });
  // Batch-level metrics (BatchRecords, ColdStart) concern no one event: strategy `none`.
  const metrics = new Metrics({
    namespace: config.metricsNamespace,
    serviceName: functionName,
    defaultDimensions: { strategy: 'none' },
  });
  return {
    functionName,
    config,
    clients,
    /** The DynamoDB meter a seam attached, or null (deployed). */
    meter,
    deps,
    /** The pending-outbox index (gsi1), for the sweeper. */
    pending: factStore as PendingOutboxes,
    queues,
    publisher,
    failovers,
    agentSeen,
    agentQueueList,
    rejected,
    receipts,
    seams,
    tracer,
    logger,
    metrics,
    eventMetrics,
  };
}

export type Runtime = ReturnType<typeof createRuntime>;
