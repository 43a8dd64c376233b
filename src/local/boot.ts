import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildFunctions, OUT_DIR } from '../../scripts/build.mjs';
import { type AwsClients, createAwsClients } from '../adapters/aws/aws-clients.js';
import { createLocalResources, type LocalResources } from '../runtime/local-resources.js';
import { type LocalServer, startDynamoLocal, startSqsLocal } from '../runtime/local-servers.js';
import { type FunctionName, type LocalStack, startLocalStack } from '../runtime/local-stack.js';
import type { InvocationOutcome } from '../runtime/poller.js';

export interface BootOptions {
  /** Persist DynamoDB Local's files here (created if missing). Unset: in memory, gone at exit. */
  readonly dataDir?: string | undefined;
  /** Stands in for the CloudFormation stack name; names the table and queues. */
  readonly stackName?: string;
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
  /** Rebuild the function bundles first (default true): the poller runs what serverless deploys. */
  readonly build?: boolean;
  readonly concurrency?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly onInvoke?: (fn: FunctionName, outcome: InvocationOutcome) => void;
}

export interface LocalController {
  readonly endpoints: { readonly dynamo: string; readonly sqs: string };
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly stack: LocalStack;
  stop(): Promise<void>;
}

/**
 * The whole local controller in one call: DynamoDB Local and fauxqs, the table and queues of
 * infra/resources.yml, and the bundled handlers behind the event-source poller. Used by the CLI
 * (`stack up`, the A/B run) and the end-to-end tests. Stops in reverse order.
 */
export async function bootLocalController(options: BootOptions = {}): Promise<LocalController> {
  const stopped: LocalServer[] = [];
  const dbPath = options.dataDir ? path.resolve(options.dataDir, 'dynamodb') : undefined;
  if (dbPath) await mkdir(dbPath, { recursive: true });
  const [ddb, sqs] = await Promise.all([
    startDynamoLocal({
      ...(options.dynamoPort === undefined ? {} : { port: options.dynamoPort }),
      ...(dbPath ? { dbPath } : {}),
    }),
    startSqsLocal(options.sqsPort === undefined ? {} : { port: options.sqsPort }),
    options.build === false ? Promise.resolve([]) : buildFunctions({ logLevel: 'error' }),
  ]);
  stopped.push(ddb, sqs);
  const endpoints = { dynamo: ddb.endpoint, sqs: sqs.endpoint };
  const clients = createAwsClients({
    region: 'us-east-1',
    dynamoEndpoint: ddb.endpoint,
    sqsEndpoint: sqs.endpoint,
  });
  try {
    const resources = await createLocalResources({
      dynamo: clients.dynamo,
      sqs: clients.sqs,
      stackName: options.stackName ?? 'l2pop-local',
    });
    const stack = await startLocalStack({
      clients,
      resources,
      endpoints,
      functionsDir: OUT_DIR,
      ...(options.env ? { env: options.env } : {}),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
    });
    return {
      endpoints,
      clients,
      resources,
      stack,
      async stop() {
        await stack.stop();
        clients.destroy();
        await Promise.all(stopped.map((s) => s.stop()));
      },
    };
  } catch (err) {
    clients.destroy();
    await Promise.all(stopped.map((s) => s.stop()));
    throw err;
  }
}
