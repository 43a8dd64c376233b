import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/aws/aws-clients.js';
import { createLocalResources, type LocalResources } from '../../tools/local/local-resources.js';
import { createDynamoMeter, type DynamoMeter } from '../../tools/support/dynamo-meter.js';

export interface TestStack {
  /** The SDK clients, the DynamoDB one metered (a test seam: the functions ship without it). */
  readonly clients: AwsClients & { readonly meter: DynamoMeter };
  readonly resources: LocalResources;
  readonly tableName: string;
  readonly endpoints: { readonly dynamo: string; readonly sqs: string };
  destroy(): void;
}

/** A fresh table and inbound queues from infra/resources.yml, under a unique stack name. */
export async function createTestStack(label: string): Promise<TestStack> {
  const endpoints = { dynamo: inject('ddbEndpoint'), sqs: inject('sqsEndpoint') };
  const aws = createAwsClients({
    region: 'us-east-1',
    dynamoEndpoint: endpoints.dynamo,
    sqsEndpoint: endpoints.sqs,
  });
  const clients = { ...aws, meter: createDynamoMeter(aws.dynamo) };
  const stackName = `t-${label}-${randomUUID().slice(0, 8)}`;
  const resources = await createLocalResources({ dynamo: clients.dynamo, sqs: clients.sqs, stackName });
  const tableName = resources.tables.StateTable;
  if (!tableName) throw new Error('infra/resources.yml has no StateTable');
  return { clients, resources, tableName, endpoints, destroy: () => clients.destroy() };
}
