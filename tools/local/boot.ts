import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildFunctions, OUT_DIR } from '../../scripts/build.mjs';
import { type AwsClients, createAwsClients } from '../../src/adapters/aws/aws-clients.js';
import { createLocalResources, type LocalResources } from './local-resources.js';
import { type DynamoLocalJit, type LocalServer, startDynamoLocal, startSqsLocal } from './local-servers.js';
import { type FunctionName, type LocalStack, startLocalStack } from './local-stack.js';
import { type MeteringProxy, startMeteringProxy } from './metering-proxy.js';
import type { InvocationOutcome } from './poller.js';

export interface ServerOptions {
  /** Persist DynamoDB Local's files here (created if missing). Unset: in memory, gone at exit. */
  readonly dataDir?: string | undefined;
  readonly dynamoPort?: number | undefined;
  readonly sqsPort?: number | undefined;
  /** Rebuild the function bundles first (default true): the poller runs what serverless deploys. */
  readonly build?: boolean;
  /** Put a metering proxy between the functions and the servers (`LocalServers.meters`). */
  readonly meter?: boolean;
  /**
   * Several messages of one FIFO group per receive, as SQS (`deliverFifoGroupsInBatches`;
   * process-wide once set). Default off: fauxqs hands out one per group.
   */
  readonly fifoGroupBatches?: boolean;
  /** DynamoDB Local's JIT (tools/local/local-servers.ts); default `quick-start`. */
  readonly dynamoJit?: DynamoLocalJit;
}

export interface ControllerOptions {
  /** Stands in for the CloudFormation stack name; names the table and queues. */
  readonly stackName?: string;
  readonly concurrency?: number;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * A record the function failed comes back after this many seconds instead of the queue's
   * visibility timeout (180-720 s, sized for Lambda): local mode only. Default 1.
   */
  readonly retryDelaySeconds?: number;
  readonly onInvoke?: (fn: FunctionName, outcome: InvocationOutcome) => void;
}

export type BootOptions = ServerOptions & ControllerOptions;

export interface LocalServers {
  readonly endpoints: { readonly dynamo: string; readonly sqs: string };
  /** Clients for tools, agents and tests: straight to the servers, never through the meters. */
  readonly clients: AwsClients;
  /** What the functions reach the servers through, when metered. */
  readonly meters: { readonly dynamo: MeteringProxy; readonly sqs: MeteringProxy } | null;
  stop(): Promise<void>;
}

export interface LocalController {
  readonly endpoints: { readonly dynamo: string; readonly sqs: string };
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly stack: LocalStack;
  stop(): Promise<void>;
}

/** DynamoDB Local (a JVM) and fauxqs (in-process), optionally metered, and the function bundles. */
export async function startLocalServers(options: ServerOptions = {}): Promise<LocalServers> {
  const dbPath = options.dataDir ? path.resolve(options.dataDir, 'dynamodb') : undefined;
  if (dbPath) await mkdir(dbPath, { recursive: true });
  const [ddbStarted, sqsStarted, built] = await Promise.allSettled([
    startDynamoLocal({
      ...(options.dynamoPort === undefined ? {} : { port: options.dynamoPort }),
      ...(dbPath ? { dbPath } : {}),
      ...(options.dynamoJit ? { jit: options.dynamoJit } : {}),
    }),
    startSqsLocal({
      ...(options.sqsPort === undefined ? {} : { port: options.sqsPort }),
      ...(options.fifoGroupBatches ? { fifoGroupBatches: true } : {}),
    }),
    options.build === false ? Promise.resolve([]) : buildFunctions({ logLevel: 'error' }),
  ]);
  // One that failed stops the others: a DynamoDB Local JVM left running would keep this process
  // (and the port) alive after the error.
  if (ddbStarted.status === 'rejected' || sqsStarted.status === 'rejected' || built.status === 'rejected') {
    for (const s of [ddbStarted, sqsStarted]) if (s.status === 'fulfilled') await s.value.stop();
    const failed = [ddbStarted, sqsStarted, built].find((s) => s.status === 'rejected');
    throw (failed as PromiseRejectedResult).reason;
  }
  const ddb = ddbStarted.value;
  const sqs = sqsStarted.value;
  const stopped: LocalServer[] = [ddb, sqs];
  const meters = options.meter
    ? { dynamo: await startMeteringProxy(ddb.endpoint), sqs: await startMeteringProxy(sqs.endpoint) }
    : null;
  const endpoints = { dynamo: ddb.endpoint, sqs: sqs.endpoint };
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamoEndpoint: ddb.endpoint,
    sqsEndpoint: sqs.endpoint,
  });
  return {
    endpoints,
    clients,
    meters,
    async stop() {
      clients.destroy();
      if (meters) await Promise.all([meters.dynamo.stop(), meters.sqs.stop()]);
      await Promise.all(stopped.map((s) => s.stop()));
    },
  };
}

/** The table and queues of infra/resources.yml under one stack name, and the functions behind their pollers. */
export async function startController(servers: LocalServers, options: ControllerOptions = {}) {
  const { clients } = servers;
  // The functions run in this process. Powertools builds its ColdStart metric at the first
  // invocation and reads POWERTOOLS_METRICS_DISABLED then, not at cold start when the function
  // environment is in place, so the setting must also be in the process environment.
  if (options.env?.POWERTOOLS_METRICS_DISABLED)
    process.env.POWERTOOLS_METRICS_DISABLED = options.env.POWERTOOLS_METRICS_DISABLED;
  const resources = await createLocalResources({
    dynamo: clients.dynamo,
    sqs: clients.sqs,
    stackName: options.stackName ?? 'l2pop-local',
  });
  const stack = await startLocalStack({
    clients,
    resources,
    endpoints: servers.meters
      ? { dynamo: servers.meters.dynamo.endpoint, sqs: servers.meters.sqs.endpoint }
      : servers.endpoints,
    functionsDir: OUT_DIR,
    retryDelaySeconds: options.retryDelaySeconds ?? 1,
    ...(options.env ? { env: options.env } : {}),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
  });
  return { resources, stack, stop: () => stack.stop() };
}

export type Controller = Awaited<ReturnType<typeof startController>>;

/**
 * The whole local controller in one call: DynamoDB Local and fauxqs, the table and queues of
 * infra/resources.yml, and the bundled handlers behind the event-source poller. Used by the CLI
 * (`stack up`) and the end-to-end tests. Stops in reverse order.
 */
export async function bootLocalController(options: BootOptions = {}): Promise<LocalController> {
  const servers = await startLocalServers(options);
  try {
    const { resources, stack } = await startController(servers, options);
    return {
      endpoints: servers.endpoints,
      clients: servers.clients,
      resources,
      stack,
      async stop() {
        await stack.stop();
        await servers.stop();
      },
    };
  } catch (err) {
    await servers.stop();
    throw err;
  }
}
