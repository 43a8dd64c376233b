import { Agent, type ClientRequestArgs } from 'node:http';
import { createConnection } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface SqsClientOptions {
  readonly region: string;
  /** A local SQS server (fauxqs); unset: AWS, with the SDK's default credential chain. */
  readonly endpoint: string | undefined;
  /**
   * Reach the endpoint through this Unix socket instead of TCP: a forwarder on the management
   * side, for processes in a network namespace with no route to the endpoint (docs/dataplane.md).
   */
  readonly socketPath: string | undefined;
}

/** Every connection of this agent goes to one Unix socket, whatever host the request names. */
class UnixSocketAgent extends Agent {
  readonly #path: string;

  constructor(path: string) {
    super({ keepAlive: true });
    this.#path = path;
  }

  override createConnection(_options: ClientRequestArgs) {
    return createConnection({ path: this.#path });
  }
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The SQS client of the agent and the HA notify sender. With a local endpoint it uses dummy
 * credentials and routes by the endpoint, not by the QueueUrl's host (fauxqs URLs name
 * `sqs.<region>.localhost`, which does not resolve: docs/local-aws.md §2), as
 * src/adapters/aws/aws-clients.ts does for the controller.
 */
export function createSqsClient(options: SqsClientOptions): SQSClient {
  return new SQSClient({
    region: options.region,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: false }
      : {}),
    ...(options.socketPath ? { requestHandler: { httpAgent: new UnixSocketAgent(options.socketPath) } } : {}),
  });
}
