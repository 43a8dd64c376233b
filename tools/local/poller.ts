import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** A handler as the runtime sees it: its result is checked as the event source mapping does. */
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsLambdaHandler;
  readonly functionName: string;
  readonly region?: string;
  /** Records per invocation, at most 10 (the FIFO event-source-mapping maximum). */
  readonly batchSize?: number;
  /** Long-poll wait; 20 s as the event source mapping does, shorter in tests so stop() is quick. */
  readonly waitTimeSeconds?: number;
  /** The function timeout: a slower invocation counts as failed (nothing deleted). */
  readonly timeoutMs?: number;
  /** The mapping's `FunctionResponseTypes: [ReportBatchItemFailures]`. */
  readonly reportBatchItemFailures?: boolean;
  /**
   * Local only: make failed records visible again after this many seconds instead of waiting out
   * the queue's visibility timeout (tests would otherwise wait 180 s per retry).
   */
  readonly retryDelaySeconds?: number;
  readonly onInvoke?: (outcome: InvocationOutcome) => void;
}

export interface InvocationOutcome {
  readonly records: number;
  readonly deleted: number;
  readonly failed: number;
  readonly error?: unknown;
}

function toRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const a = m.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const k of [
    'ApproximateReceiveCount',
    'SentTimestamp',
    'SenderId',
    'ApproximateFirstReceiveTimestamp',
    'MessageGroupId',
    'MessageDeduplicationId',
    'SequenceNumber',
    'AWSTraceHeader',
  ]) {
    const v = a[k as keyof typeof a];
    if (v !== undefined) attributes[k] = v;
  }
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[k] = {
      dataType: v.DataType ?? 'String',
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: attributes as unknown as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? '',
    ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The Lambda context an invocation gets: request id, deadline, function name and ARN. */
export function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Which receipt handles to delete after an invocation, as the event source mapping decides. */
export function settleBatch(
  records: readonly SQSRecord[],
  result: unknown,
  reportBatchItemFailures: boolean,
): { delete: SQSRecord[]; failed: SQSRecord[] } {
  const failures = (result as Partial<SQSBatchResponse> | null | undefined)?.batchItemFailures;
  if (!reportBatchItemFailures || !Array.isArray(failures)) return { delete: [...records], failed: [] };
  const ids = new Set(records.map((r) => r.messageId));
  const failedIds = new Set(
    failures.map((f: { itemIdentifier?: unknown }) => String(f?.itemIdentifier ?? '')),
  );
  // An identifier that is not in the batch (or empty) fails the whole batch, as on AWS.
  if ([...failedIds].some((id) => !id || !ids.has(id))) return { delete: [], failed: [...records] };
  return {
    delete: records.filter((r) => !failedIds.has(r.messageId)),
    failed: records.filter((r) => failedIds.has(r.messageId)),
  };
}

/**
 * The SQS -> Lambda event source mapping, locally (docs/local-aws.md §4): long-polls,
 * builds the real SQSEvent, invokes the bundled handler with a Lambda context and honours
 * `batchItemFailures`. A throw or a timeout deletes nothing. The queue server does visibility,
 * FIFO group locks and redrive; run N pollers for a concurrency of N.
 */
export function createPoller(options: PollerOptions) {
  const region = options.region ?? 'us-east-1';
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? 10));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const report = options.reportBatchItemFailures ?? true;
  let stopping = false;
  let running: Promise<void> | null = null;
  const stats = { invocations: 0, records: 0, deleted: 0, failed: 0, errors: 0 };

  const invoke = async (event: SQSEvent) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`function timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([
        options.handler(event, lambdaContext(options.functionName, region, timeoutMs)),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  const settle = async (records: readonly SQSRecord[], result: unknown, error: unknown) => {
    const { delete: done, failed } =
      error === undefined ? settleBatch(records, result, report) : { delete: [], failed: [...records] };
    if (done.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    if (failed.length > 0 && options.retryDelaySeconds !== undefined) {
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: failed.map((r, i) => ({
            Id: String(i),
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: options.retryDelaySeconds,
          })),
        }),
      );
    }
    stats.invocations++;
    stats.records += records.length;
    stats.deleted += done.length;
    stats.failed += failed.length;
    if (error !== undefined) stats.errors++;
    options.onInvoke?.({ records: records.length, deleted: done.length, failed: failed.length, error });
  };

  const pollOnce = async () => {
    const res = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: options.waitTimeSeconds ?? 20,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return;
    const records = messages.map((m) => toRecord(m, options.queueArn, region));
    let result: unknown;
    let error: unknown;
    try {
      result = await invoke({ Records: records });
    } catch (err) {
      error = err ?? new Error('handler threw');
    }
    await settle(records, result, error);
  };

  const loop = async () => {
    while (!stopping) {
      try {
        await pollOnce();
      } catch (err) {
        if (stopping) break;
        stats.errors++;
        options.onInvoke?.({ records: 0, deleted: 0, failed: 0, error: err });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  return {
    stats,
    start(): void {
      running ??= loop();
    },
    /**
     * Stops polling after the long poll in flight returns (at most `waitTimeSeconds`); what it
     * received is invoked and settled first. Aborting the poll instead would leave a message the
     * server already handed to it invisible for the queue's whole visibility timeout.
     */
    async stop(): Promise<void> {
      stopping = true;
      await running;
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
