import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoMeter } from './dynamo-meter.js';

export interface AwsClientOptions {
  readonly region: string;
  /** Local endpoints (DynamoDB Local, fauxqs); unset in the cloud. */
  readonly dynamoEndpoint?: string | undefined;
  readonly sqsEndpoint?: string | undefined;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The SDK clients, built once per cold start. With a local endpoint the clients get static dummy
 * credentials, and SQS gets an explicit endpoint: fauxqs queue URLs name a host that does not
 * resolve (`sqs.us-east-1.localhost`), so the SDK must not route by the QueueUrl (local-aws.md §2).
 */
export function createAwsClients(options: AwsClientOptions) {
  const dynamo = new DynamoDBClient({
    region: options.region,
    ...(options.dynamoEndpoint ? { endpoint: options.dynamoEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const meter = createDynamoMeter(dynamo);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({
    region: options.region,
    ...(options.sqsEndpoint
      ? { endpoint: options.sqsEndpoint, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: false }
      : {}),
  });
  return {
    dynamo,
    doc,
    sqs,
    meter,
    destroy(): void {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

export type AwsClients = ReturnType<typeof createAwsClients>;
