import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Receives and deletes every message of each queue; returns the bodies per host, in receive order. */
export async function drainQueues(
  sqs: SQSClient,
  queues: ReadonlyMap<string, string>,
  parallel = 16,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const hosts = [...queues.keys()];
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const host = hosts[next++] as string;
      const QueueUrl = queues.get(host) as string;
      const bodies: string[] = [];
      for (;;) {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 60,
          }),
        );
        const msgs = res.Messages ?? [];
        if (msgs.length === 0) break;
        for (const m of msgs) bodies.push(m.Body ?? '');
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
          }),
        );
      }
      out.set(host, bodies);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, hosts.length) }, worker));
  return out;
}

/**
 * Compares what each queue received with what each host was sent, in order. Returns the number of
 * messages delivered and a list of the differences (empty when every agent got exactly its own).
 */
export function checkDeliveries(
  expected: ReadonlyMap<string, readonly string[]>,
  received: ReadonlyMap<string, readonly string[]>,
): { delivered: number; problems: string[] } {
  const problems: string[] = [];
  let delivered = 0;
  for (const [host, got] of received) {
    delivered += got.length;
    const want = expected.get(host) ?? [];
    if (got.length !== want.length) problems.push(`${host}: received ${got.length}, expected ${want.length}`);
    else if (got.some((b, i) => b !== want[i])) problems.push(`${host}: bodies differ from what it was sent`);
  }
  for (const host of expected.keys())
    if (!received.has(host)) problems.push(`${host}: its queue was not read`);
  return { delivered, problems };
}
