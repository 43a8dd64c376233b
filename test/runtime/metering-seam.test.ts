import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePortEvent } from '../../src/contracts/parse.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { NO_SEAMS, type RuntimeSeams } from '../../src/runtime/seams.js';
import { createRecordHandler } from '../../src/runtime/sqs-handler.js';
import { meterSeams } from '../../tools/support/dynamo-meter.js';
import { captureOutput } from '../support/emf.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Metering is a seam (src/runtime/seams.ts): the deployed chain (no seams) logs no DynamoDB usage
 * and emits no capacity metric, operators read the table's AWS/DynamoDB metrics; the local stack
 * attaches the meter (tools/support/dynamo-meter.ts) and each record's log line then carries what
 * it asked of DynamoDB. Both run one port event against DynamoDB Local.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('meterseam');
});
afterAll(() => stack?.destroy());

async function handleOne(seams: RuntimeSeams, n: number) {
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    L2POP_TABLE_NAME: stack.tableName,
    L2POP_DYNAMODB_ENDPOINT: stack.endpoints.dynamo,
    L2POP_SQS_ENDPOINT: stack.endpoints.sqs,
    L2POP_AGENT_QUEUE_PREFIX: `${stack.resources.stackName}-agent-cmd-`,
    L2POP_LOG_LEVEL: 'INFO',
    L2POP_METRICS_NAMESPACE: 'L2Pop/meter-seam-test',
  });
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const out = captureOutput();
  try {
    const rt = createRuntime('port-events', config, seams);
    const handle = createRecordHandler(rt, { name: 'port-events', parse: parsePortEvent });
    const port = {
      id: `p${n}`,
      networkId: 'n1',
      mac: `fa:16:3e:00:00:0${n}`,
      ips: [`10.0.0.${n}`],
      deviceOwner: 'compute:nova',
      deviceId: 'vm',
      host: 'h1',
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    };
    const body = JSON.stringify({
      type: 'port.upsert',
      v: 1,
      network: { id: 'n1', networkType: 'vxlan', segmentId: 100 },
      port,
    });
    await handle({
      messageId: `m${n}`,
      body,
      attributes: { MessageGroupId: 'n1', ApproximateReceiveCount: '1' },
    } as unknown as SQSRecord);
    rt.clients.destroy();
    return { rt, out };
  } finally {
    out.restore();
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
}

const eventLine = (out: ReturnType<typeof captureOutput>) => {
  const line = out.logs().find((l) => String(l.message).startsWith('port.upsert '));
  if (!line) throw new Error(`no port.upsert log line in ${JSON.stringify(out.logs())}`);
  return line;
};

describe('DynamoDB metering is a seam', () => {
  it('the production chain meters nothing: no dynamo field, no capacity metric', async () => {
    const { rt, out } = await handleOne(NO_SEAMS, 1);
    expect(rt.meter).toBeNull();
    expect(eventLine(out)).not.toHaveProperty('dynamo');
    const metrics = out.emf().flatMap((b) => b.metrics);
    expect(metrics).toContain('Events');
    expect(metrics.filter((m) => /^Dynamo/.test(m))).toEqual([]);
  });

  it("with the local stack's meter, the record's line carries its requests and capacity", async () => {
    const { rt, out } = await handleOne(meterSeams, 2);
    expect(rt.meter).not.toBeNull();
    const dynamo = eventLine(out).dynamo as { requests: Record<string, number>; writeUnits: number };
    expect(Object.values(dynamo.requests).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(dynamo.requests.TransactWriteItems).toBeGreaterThan(0);
    expect(dynamo.writeUnits).toBeGreaterThan(0);
    expect(out.emf().flatMap((b) => b.metrics)).not.toContain('DynamoWriteUnits');
  });
});
