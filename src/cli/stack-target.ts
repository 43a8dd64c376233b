import path from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { type Command, Option } from 'commander';
import { type AwsClients, createAwsClients } from '../adapters/aws/aws-clients.js';
import { createDynamoFactStore } from '../adapters/aws/dynamo-fact-store.js';
import { DEFAULT_FLAGS } from '../core/flags.js';
import type { Strategy } from '../core/types.js';
import { INBOUND_QUEUES, type QueueUrls } from '../local/inbound.js';
import { resourceNames } from '../local/resource-names.js';
import { DEFAULT_STACK_FILE, isAlive, readStackFile } from '../local/stack-file.js';
import { parseStrategy, parseUrl, UsageError } from './cli-support.js';

export interface TargetOptions {
  readonly stackFile: string;
  readonly sqsEndpoint?: string;
  readonly dynamoEndpoint?: string;
  readonly stackName?: string;
  readonly defaultStrategy?: Strategy;
}

/** The options every command that talks to a running stack takes. */
export function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--stack-file <file>', 'the state file `l2pop stack up` wrote').default(DEFAULT_STACK_FILE),
    )
    .addOption(
      new Option(
        '--sqs-endpoint <url>',
        'reach a stack not started by `stack up` (with --stack-name)',
      ).argParser(parseUrl),
    )
    .addOption(new Option('--dynamo-endpoint <url>', 'its DynamoDB endpoint').argParser(parseUrl))
    .addOption(new Option('--stack-name <name>', 'its stack name (names the table and queues)'))
    .addOption(
      new Option(
        '--default-strategy <strategy>',
        'its deployment default strategy (L2POP_DEFAULT_STRATEGY)',
      ).argParser(parseStrategy),
    );
}

export interface StackTarget {
  readonly stackName: string;
  readonly tableName: string;
  readonly clients: AwsClients;
  readonly endpoints: { readonly dynamo?: string | undefined; readonly sqs?: string | undefined };
  readonly defaultStrategy: Strategy;
  readonly agentStateDir: string | null;
  queues(): Promise<QueueUrls>;
  store(): ReturnType<typeof createDynamoFactStore>;
  close(): void;
}

/**
 * The stack a command acts on: from explicit endpoints and a stack name, or else from the state
 * file of a running `l2pop stack up`. Says what to do when neither is there.
 */
export async function resolveTarget(o: TargetOptions): Promise<StackTarget> {
  const explicit = o.sqsEndpoint !== undefined || o.dynamoEndpoint !== undefined;
  const file = explicit
    ? undefined
    : await readStackFile(o.stackFile).catch((err: unknown) => {
        throw new UsageError(`${o.stackFile}: not a stack file (${(err as Error).message})`);
      });
  if (!explicit && !file)
    throw new UsageError(
      `no running stack: ${o.stackFile} does not exist. Start one with \`npx l2pop stack up\`, or give --sqs-endpoint, --dynamo-endpoint and --stack-name`,
    );
  if (file && !isAlive(file.pid))
    throw new UsageError(
      `${o.stackFile}: the stack (pid ${file.pid}) is not running any more; start it again with \`npx l2pop stack up\``,
    );
  const stackName = file?.stackName ?? o.stackName;
  if (!stackName) throw new UsageError('--stack-name is needed with --sqs-endpoint / --dynamo-endpoint');
  const names = await resourceNames(stackName);
  const endpoints = {
    dynamo: file?.endpoints.dynamo ?? o.dynamoEndpoint,
    sqs: file?.endpoints.sqs ?? o.sqsEndpoint,
  };
  const clients = createAwsClients({
    region: file?.region ?? 'us-east-1',
    dynamoEndpoint: endpoints.dynamo,
    sqsEndpoint: endpoints.sqs,
  });
  const defaultStrategy = o.defaultStrategy ?? file?.defaultStrategy ?? 'tunnel';
  const tableName = file?.tableName ?? names.StateTable ?? `${stackName}-state`;
  return {
    stackName,
    tableName,
    clients,
    endpoints,
    defaultStrategy,
    agentStateDir: file?.agentStateDir ?? (file ? null : path.join(path.dirname(o.stackFile), 'agents')),
    async queues() {
      if (file) return file.queues;
      if (!endpoints.sqs) throw new UsageError('--sqs-endpoint is needed to send events');
      const entries = await Promise.all(
        INBOUND_QUEUES.map(async (id) => {
          const QueueName = names[id];
          if (!QueueName) throw new Error(`infra/resources.yml has no ${id}`);
          try {
            const r = await clients.sqs.send(new GetQueueUrlCommand({ QueueName }));
            return [id, r.QueueUrl ?? ''] as const;
          } catch (err) {
            throw new UsageError(
              `queue ${QueueName} not found at ${endpoints.sqs}: ${(err as Error).message}`,
            );
          }
        }),
      );
      return Object.fromEntries(entries) as unknown as QueueUrls;
    },
    store() {
      if (!endpoints.dynamo) throw new UsageError('--dynamo-endpoint is needed to read the table');
      return createDynamoFactStore({
        client: clients.doc,
        tableName,
        defaultFlags: { ...DEFAULT_FLAGS, defaultStrategy },
      });
    },
    close: () => clients.destroy(),
  };
}
