import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRejectedStore,
  RejectedRecordWriteError,
} from '../../src/adapters/aws/dynamo-rejected-store.js';
import { parsePortEvent } from '../../src/contracts/parse.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { createRecordHandler } from '../../src/runtime/sqs-handler.js';
import { captureOutput } from '../support/emf.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * A rejection can never fail: whatever untrusted values a message carries, its rejected record is
 * written to the real DynamoDB Local (which enforces DynamoDB's number range and nesting limit).
 */
const nested = (depth: number): unknown => (depth === 0 ? 'x' : { a: nested(depth - 1) });

/** Details DynamoDB cannot store as attributes: one per member of the class. */
const UNSTORABLE: Record<string, Record<string, unknown>> = {
  'an integer above 2^53': { type: 'port.upsert', v: 2 ** 60 },
  'a number below DynamoDB range': { type: 'port.upsert', v: 1e-200 },
  'a number above DynamoDB range': { type: 1e200 },
  'more than 32 levels of nesting': { type: nested(40) },
  'an empty string key and set-like arrays': { '': [[], {}], type: [1, [2, [3]]] },
  'a huge string': { type: 'y'.repeat(300_000) },
};

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('rejected');
});
afterAll(() => stack?.destroy());

const input = (messageId: string, details: Record<string, unknown>) => ({
  messageId,
  source: 'port-events',
  code: 'unknown_event_type' as const,
  reason: `unknown event type ${JSON.stringify(details.type)}`,
  details,
  body: JSON.stringify(details),
  messageGroupId: 'g',
  receiveCount: 1,
});

describe('rejected records', () => {
  it('are written whatever untrusted values the message carries', async () => {
    const store = createRejectedStore({ client: stack.clients.doc, tableName: stack.tableName });
    for (const [name, details] of Object.entries(UNSTORABLE)) {
      const stored = await store.record(input(`m-${name.replaceAll(' ', '-')}`, details));
      expect(stored.details.length, name).toBeLessThanOrEqual(2048);
      expect(stored.reason.length, name).toBeLessThanOrEqual(1024);
    }
    const listed = await store.list();
    expect(listed.map((r) => r.messageId).sort()).toEqual(
      Object.keys(UNSTORABLE)
        .map((n) => `m-${n.replaceAll(' ', '-')}`)
        .sort(),
    );
  });

  it('fall back to a minimal record when DynamoDB refuses the full one', async () => {
    let refused = 0;
    const client = {
      send: (cmd: unknown) => {
        if (cmd instanceof PutCommand && refused === 0) {
          refused++;
          return Promise.reject(new Error('ValidationException: refused'));
        }
        return stack.clients.doc.send(cmd as PutCommand);
      },
    } as unknown as typeof stack.clients.doc;
    const store = createRejectedStore({ client, tableName: stack.tableName });
    await store.record(input('m-minimal', { type: 'z' }));
    expect(refused).toBe(1);
    const listed = await store.list();
    expect(listed.find((r) => r.messageId === 'm-minimal')).toMatchObject({
      code: 'unknown_event_type',
      source: 'port-events',
    });
  });

  it('raise a transient RejectedRecordWriteError when not even the minimal record can be written', async () => {
    const store = createRejectedStore({ client: stack.clients.doc, tableName: 'no-such-table' });
    await expect(store.record(input('m-lost', { type: 'z' }))).rejects.toBeInstanceOf(
      RejectedRecordWriteError,
    );
  });

  it('a failing rejected-record write is retried and counted as transient, never as a rejection', async () => {
    const config = loadConfig({
      AWS_REGION: 'us-east-1',
      L2POP_TABLE_NAME: 'no-such-table',
      L2POP_DYNAMODB_ENDPOINT: stack.endpoints.dynamo,
      L2POP_SQS_ENDPOINT: stack.endpoints.sqs,
      L2POP_LOG_LEVEL: 'WARN',
      L2POP_METRICS_NAMESPACE: 'L2Pop/rejected-test',
    });
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const out = captureOutput();
    let thrown: unknown;
    try {
      const rt = createRuntime('port-events', config);
      const handle = createRecordHandler(rt, { name: 'port-events', parse: parsePortEvent });
      const record = {
        messageId: 'm-transient',
        body: '{"type":"port.nope","v":1}',
        attributes: { MessageGroupId: 'g', ApproximateReceiveCount: '1' },
      } as unknown as SQSRecord;
      await handle(record).catch((err: unknown) => {
        thrown = err;
      });
      rt.clients.destroy();
    } finally {
      out.restore();
      if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    }
    expect(thrown).toBeInstanceOf(RejectedRecordWriteError);
    const metrics = out.emf().flatMap((b) => b.metrics);
    expect(metrics).toContain('TransientFailures');
    expect(metrics).not.toContain('Rejected');
    expect(out.logs().some((l) => String(l.message).startsWith('rejected:'))).toBe(false);
  });
});
