import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parse } from 'yaml';
import { RESOURCES_FILE } from '../../src/cli/resource-names.js';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface LocalQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/** What was created, by CloudFormation logical id. */
export interface LocalResources {
  readonly stackName: string;
  readonly tables: Readonly<Record<string, string>>;
  readonly queues: Readonly<Record<string, LocalQueue>>;
}

export interface LocalResourceOptions {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Stands in for AWS::StackName: unique per test file, `l2pop-local` in local mode. */
  readonly stackName: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly file?: string;
}

/** Queue properties that are SQS queue attributes with the same name. */
const QUEUE_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'MaximumMessageSize',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
] as const;

/**
 * Creates the table and queues of infra/resources.yml on DynamoDB Local and fauxqs: the same
 * definitions CloudFormation deploys. It resolves the intrinsics the file uses (Ref, Fn::Join,
 * Fn::GetAtt) and passes every table and queue property the local servers implement; the ones they
 * cannot (SSE, point-in-time recovery) are the only difference (docs/data-model.md).
 */
export async function createLocalResources(options: LocalResourceOptions): Promise<LocalResources> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const doc = parse(await readFile(options.file ?? RESOURCES_FILE, 'utf8')) as {
    Resources: Record<string, CfnResource>;
  };
  const created = new Map<string, Promise<{ ref: string; attrs: Record<string, string> }>>();

  const resolve = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    if (typeof value !== 'object' || value === null) return value;
    const o = value as Record<string, unknown>;
    if ('Ref' in o)
      return o.Ref === 'AWS::StackName'
        ? options.stackName
        : o.Ref === 'AWS::Region'
          ? region
          : (await create(String(o.Ref))).ref;
    if ('Fn::Join' in o) {
      const [sep, parts] = (await resolve(o['Fn::Join'])) as [string, unknown[]];
      return parts.join(sep);
    }
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      const v = (await create(id)).attrs[attr];
      if (v === undefined) throw new Error(`Fn::GetAtt ${id}.${attr} is not supported locally`);
      return v;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = await resolve(v);
    return out;
  };

  const createTable = async (props: Record<string, unknown>) => {
    const TableName = String(props.TableName);
    const input: CreateTableCommandInput = {
      TableName,
      BillingMode: props.BillingMode as CreateTableCommandInput['BillingMode'],
      AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
      GlobalSecondaryIndexes:
        props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    };
    // A persistent DynamoDB Local (`l2pop stack up --data DIR`) keeps the table from the last run.
    const existed = await options.dynamo.send(new CreateTableCommand(input)).then(
      () => false,
      (err: { name?: string }) => {
        if (err?.name === 'ResourceInUseException') return true;
        throw err;
      },
    );
    for (;;) {
      const t = await options.dynamo.send(new DescribeTableCommand({ TableName }));
      if (t.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ttl = props.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl?.Enabled && !existed) {
      await options.dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
    }
    return { ref: TableName, attrs: { Arn: `arn:aws:dynamodb:${region}:${accountId}:table/${TableName}` } };
  };

  const createQueue = async (props: Record<string, unknown>) => {
    const QueueName = String(props.QueueName);
    const Attributes: Record<string, string> = {};
    for (const a of QUEUE_ATTRIBUTES) if (props[a] !== undefined) Attributes[a] = String(props[a]);
    if (props.RedrivePolicy) Attributes.RedrivePolicy = JSON.stringify(props.RedrivePolicy);
    const { QueueUrl } = await options.sqs.send(new CreateQueueCommand({ QueueName, Attributes }));
    if (!QueueUrl) throw new Error(`CreateQueue ${QueueName} returned no URL`);
    const got = await options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = got.Attributes?.QueueArn ?? `arn:aws:sqs:${region}:${accountId}:${QueueName}`;
    return { ref: QueueUrl, attrs: { Arn: arn, QueueName, QueueUrl } };
  };

  const create = (id: string) => {
    let p = created.get(id);
    if (!p) {
      const r = doc.Resources[id];
      if (!r) throw new Error(`${path.basename(options.file ?? RESOURCES_FILE)}: no resource ${id}`);
      p = (async () => {
        const props = (await resolve(r.Properties ?? {})) as Record<string, unknown>;
        if (r.Type === 'AWS::DynamoDB::Table') return createTable(props);
        if (r.Type === 'AWS::SQS::Queue') return createQueue(props);
        return { ref: id, attrs: {} };
      })();
      created.set(id, p);
    }
    return p;
  };

  const tables: Record<string, string> = {};
  const queues: Record<string, LocalQueue> = {};
  for (const [id, r] of Object.entries(doc.Resources)) {
    const { ref, attrs } = await create(id);
    if (r.Type === 'AWS::DynamoDB::Table') tables[id] = ref;
    if (r.Type === 'AWS::SQS::Queue')
      queues[id] = { name: attrs.QueueName ?? id, url: ref, arn: attrs.Arn ?? '' };
  }
  return { stackName: options.stackName, tables, queues };
}
