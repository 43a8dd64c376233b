import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalServer } from '../../tools/local/local-servers.js';

/** An SQS client of the local fauxqs server (any credentials do). */
export const fauxqsClient = (server: LocalServer): SQSClient =>
  new SQSClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });

/** Creates a queue (or finds it) and returns its URL. */
export const createQueue = async (
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> =>
  (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl as string;

/** Sends one message to a FIFO queue, in `group`, with the deduplication id `id`. */
export const sendToGroup = (client: SQSClient, url: string, group: string, body: string, id: string) =>
  client.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: id,
    }),
  );

/** One receive of up to 10 messages (a 1 s long poll), each deleted: their bodies, in order. */
export async function receiveAndDelete(client: SQSClient, url: string): Promise<string[]> {
  const got = await client.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  const bodies: string[] = [];
  for (const m of got.Messages ?? []) {
    bodies.push(m.Body ?? '');
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  }
  return bodies;
}
