import type { SQSRecord } from 'aws-lambda';
import { RECEIPT_ATTRIBUTE } from '../../src/adapters/aws/dynamo-receipt-store.js';
import type { Harness } from './runtime-harness.js';

/** The environment the local stack gives its functions (tools/local/local-stack.ts). */
export const functionEnv = (h: Harness): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  L2POP_TABLE_NAME: h.stack.tableName,
  L2POP_DYNAMODB_ENDPOINT: h.stack.endpoints.dynamo,
  L2POP_SQS_ENDPOINT: h.stack.endpoints.sqs,
  L2POP_AGENT_QUEUE_PREFIX: h.local.agentQueuePrefix,
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_DISABLED: 'true',
  L2POP_LOG_LEVEL: 'SILENT',
});

/**
 * A record as the event source mapping builds it, asking for a receipt: a bundle invoked with a
 * batch of these runs as Lambda would (fauxqs alone never hands out two records of one group).
 */
export function sqsRecord(messageId: string, body: string, group: string, arn: string): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: group,
      MessageDeduplicationId: messageId,
    },
    messageAttributes: { [RECEIPT_ATTRIBUTE]: { dataType: 'String', stringValue: '1' } },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: 'us-east-1',
  };
}
