import path from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { type Command, Option } from 'commander';
import { type AwsClients, createAwsClients } from '../adapters/aws/aws-clients.js';
import { createDynamoFactStore } from '../adapters/aws/dynamo-fact-store.js';
import { INBOUND_QUEUES, type InboundQueueId } from '../adapters/aws/inbound-queues.js';
import { DEFAULT_FLAGS } from '../core/flags.js';
import type { Strategy } from '../core/types.js';
import { parseStrategy, parseUrl, UsageError } from './cli-support.js';
import { labelEndpoint } from './endpoint-errors.js';
import { resourceNames } from './resource-names.js';
import { DEFAULT_STACK_FILE, isAlive, readStackFile, type StackFile } from './stack-file.js';
import { readStackOutputs, type StackOutputs } from './stack-outputs.js';

export interface TargetOptions {
  readonly stackFile: string;
  readonly region?: string;
  readonly stage?: string;
  readonly stackName?: string;
  readonly sqsEndpoint?: string;
  readonly dynamoEndpoint?: string;
  readonly cloudformationEndpoint?: string;
  readonly defaultStrategy?: Strategy;
}

/** The options every command that talks to a stack takes. */
export function addTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--stage <stage>', 'a deployed stack: l2pop-<stage>, read from CloudFormation'))
    .addOption(new Option('--stack-name <name>', 'a deployed stack by name (instead of --stage)'))
    .addOption(
      new Option('--region <region>', "the deployed stack's region (default: AWS_REGION, the profile's)"),
    )
    .addOption(
      new Option('--stack-file <file>', 'a local stack: the state file `l2pop stack up` wrote').default(
        DEFAULT_STACK_FILE,
      ),
    )
    .addOption(
      new Option('--sqs-endpoint <url>', 'SQS endpoint override (a local SQS server)').argParser(parseUrl),
    )
    .addOption(new Option('--dynamo-endpoint <url>', 'DynamoDB endpoint override').argParser(parseUrl))
    .addOption(
      new Option(
        '--cloudformation-endpoint <url>',
        'CloudFormation endpoint override (where the stack outputs are read)',
      ).argParser(parseUrl),
    )
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
  /** Where the outputs came from: `stack-file` (a local stack) or `cloudformation`/`names` (a stack by name). */
  readonly source: 'stack-file' | 'cloudformation' | 'names';
  outputs(): Promise<StackOutputs>;
  queues(): Promise<StackOutputs['queues']>;
  store(): ReturnType<typeof createDynamoFactStore>;
  close(): void;
}

type Mode = { kind: 'file'; file: StackFile } | { kind: 'cloudformation' } | { kind: 'names' };

/**
 * Which stack the options name. A deployed stack (`--stage`, `--stack-name`) is read from
 * CloudFormation; with `--sqs-endpoint`/`--dynamo-endpoint` and no CloudFormation endpoint, its
 * names are derived from infra/resources.yml (a local server holding a stack by name); with
 * neither, the state file of a running `l2pop stack up`.
 */
async function modeOf(o: TargetOptions): Promise<Mode> {
  const named = o.stage !== undefined || o.stackName !== undefined;
  const endpoints = o.sqsEndpoint !== undefined || o.dynamoEndpoint !== undefined;
  if (o.stage !== undefined && o.stackName !== undefined)
    throw new UsageError('give --stage or --stack-name, not both');
  if (o.cloudformationEndpoint !== undefined || (named && !endpoints)) {
    if (!named) throw new UsageError('--cloudformation-endpoint needs --stage or --stack-name');
    return { kind: 'cloudformation' };
  }
  if (endpoints) {
    if (!o.stackName) throw new UsageError('--stack-name is needed with --sqs-endpoint / --dynamo-endpoint');
    return { kind: 'names' };
  }
  const file = await readStackFile(o.stackFile).catch((err: unknown) => {
    throw new UsageError(`${o.stackFile}: not a stack file (${(err as Error).message})`);
  });
  if (!file)
    throw new UsageError(
      `no stack given: ${o.stackFile} does not exist. Name a deployed stack with --stage (or --stack-name) and --region, or start a local one with \`npx l2pop stack up\``,
    );
  if (!isAlive(file.pid))
    throw new UsageError(
      `${o.stackFile}: the stack (pid ${file.pid}) is not running any more; start it again with \`npx l2pop stack up\``,
    );
  return { kind: 'file', file };
}

/** Outputs of a stack by name on a server that has no CloudFormation: names from infra/, URLs by GetQueueUrl. */
async function outputsByName(
  clients: AwsClients,
  stackName: string,
  file?: StackFile,
): Promise<StackOutputs> {
  const names = await resourceNames(stackName);
  const url = async (id: string) => {
    const QueueName = names[id];
    if (!QueueName) throw new Error(`infra/resources.yml has no ${id}`);
    const r = await clients.sqs.send(new GetQueueUrlCommand({ QueueName })).catch((err: unknown) => {
      if (!/NonExistentQueue|QueueDoesNotExist/.test((err as Error).name ?? '')) throw err;
      throw new UsageError(`stack ${stackName} has no queue ${QueueName}`);
    });
    return r.QueueUrl ?? '';
  };
  const pairs = async (suffix: string) =>
    Object.fromEntries(
      await Promise.all(
        INBOUND_QUEUES.map(async (q) => [q, await url(q.replace(/Queue$/, suffix))] as const),
      ),
    ) as Record<InboundQueueId, string>;
  return {
    tableName: file?.tableName ?? names.StateTable ?? `${stackName}-state`,
    queues: file?.queues ?? (await pairs('Queue')),
    dlqs: await pairs('Dlq'),
    // the local stack's functions run with config.ts's default namespace; metrics are off there
    metricsNamespace: 'L2Pop',
    defaultFlags: DEFAULT_FLAGS,
    agentQueuePrefix: file?.agentQueuePrefix ?? `${stackName}-agent-cmd-`,
  };
}

/**
 * The stack a command acts on. One code path for a deployed and a local stack: only where the
 * outputs come from and the endpoints differ. A deployed stack (and a stack by name on local
 * servers) uses the SDK's default credential chain; a `stack up` stack the static local ones.
 */
export async function resolveTarget(o: TargetOptions): Promise<StackTarget> {
  const mode = await modeOf(o);
  const file = mode.kind === 'file' ? mode.file : undefined;
  const stackName = file?.stackName ?? o.stackName ?? `l2pop-${o.stage}`;
  const endpoints = {
    dynamo: file?.endpoints.dynamo ?? o.dynamoEndpoint,
    sqs: file?.endpoints.sqs ?? o.sqsEndpoint,
  };
  const region = o.region ?? file?.region ?? (mode.kind === 'names' ? 'us-east-1' : undefined);
  const clients = createAwsClients({
    region,
    dynamoEndpoint: endpoints.dynamo,
    sqsEndpoint: endpoints.sqs,
    credentials: file ? 'local' : 'chain',
  });
  labelEndpoint(clients.sqs, {
    service: 'SQS',
    endpoint: endpoints.sqs,
    flag: '--sqs-endpoint (or --region)',
  });
  labelEndpoint(clients.dynamo, {
    service: 'DynamoDB',
    endpoint: endpoints.dynamo,
    flag: '--dynamo-endpoint (or --region)',
  });
  let outputs: Promise<StackOutputs> | undefined;
  const getOutputs = () => {
    outputs ??=
      mode.kind === 'cloudformation'
        ? readStackOutputs({ stackName, region, endpoint: o.cloudformationEndpoint })
        : outputsByName(clients, stackName, file);
    return outputs;
  };
  const deployed = mode.kind === 'cloudformation' ? await getOutputs() : undefined;
  const tableName =
    deployed?.tableName ??
    file?.tableName ??
    (await resourceNames(stackName)).StateTable ??
    `${stackName}-state`;
  const defaultFlags = deployed?.defaultFlags ?? DEFAULT_FLAGS;
  const defaultStrategy = o.defaultStrategy ?? file?.defaultStrategy ?? defaultFlags.defaultStrategy;
  return {
    stackName,
    tableName,
    clients,
    endpoints,
    defaultStrategy,
    source: mode.kind === 'file' ? 'stack-file' : mode.kind,
    agentStateDir: file
      ? file.agentStateDir
      : mode.kind === 'names'
        ? path.join(path.dirname(o.stackFile), 'agents')
        : null,
    outputs: getOutputs,
    queues: async () => (await getOutputs()).queues,
    store() {
      return createDynamoFactStore({
        client: clients.doc,
        tableName,
        defaultFlags: { ...defaultFlags, defaultStrategy },
      });
    },
    close: () => clients.destroy(),
  };
}
