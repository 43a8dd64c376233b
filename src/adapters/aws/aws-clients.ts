import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClientOptions {
  /** Undefined: the SDK's own resolution (AWS_REGION, the profile's region). */
  readonly region: string | undefined;
  /** Local endpoints (DynamoDB Local, fauxqs); unset in the cloud. */
  readonly dynamoEndpoint?: string | undefined;
  readonly sqsEndpoint?: string | undefined;
  /**
   * `local` (the default with an endpoint): static dummy credentials, which the local servers
   * accept. `chain`: the SDK's default credential chain even with an endpoint, as the CLI resolves
   * them for a deployed stack (environment, AWS_PROFILE, shared files, SSO, instance roles).
   */
  readonly credentials?: 'local' | 'chain';
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The SDK clients, built once per cold start. With a local endpoint the clients get static dummy
 * credentials, and SQS gets an explicit endpoint: fauxqs queue URLs name a host that does not
 * resolve (`sqs.us-east-1.localhost`), so the SDK must not route by the QueueUrl (local-aws.md §2).
 */
export function createAwsClients(options: AwsClientOptions) {
  const local = options.credentials !== 'chain' ? { credentials: LOCAL_CREDENTIALS } : {};
  const region = options.region ? { region: options.region } : {};
  const dynamo = new DynamoDBClient({
    ...region,
    ...(options.dynamoEndpoint ? { endpoint: options.dynamoEndpoint, ...local } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({
    ...region,
    ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint, ...local, useQueueUrlAsEndpoint: false } : {}),
  });
  return {
    dynamo,
    doc,
    sqs,
    destroy(): void {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

export type AwsClients = ReturnType<typeof createAwsClients>;
