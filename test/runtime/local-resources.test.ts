import { readFile } from 'node:fs/promises';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RESOURCES_FILE } from '../../src/cli/resource-names.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

interface Doc {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

describe('local resources come from infra/resources.yml', () => {
  let stack: TestStack;
  let doc: Doc;
  beforeAll(async () => {
    stack = await createTestStack('res');
    doc = parse(await readFile(RESOURCES_FILE, 'utf8')) as Doc;
  });
  afterAll(() => stack?.destroy());

  it('creates the table with the keys, GSI and TTL of the template', async () => {
    const props = doc.Resources.StateTable?.Properties ?? {};
    const t = (await stack.clients.dynamo.send(new DescribeTableCommand({ TableName: stack.tableName })))
      .Table;
    expect(t?.TableName).toBe(`${stack.resources.stackName}-state`);
    expect(t?.KeySchema).toEqual(props.KeySchema);
    const gsi = (
      props.GlobalSecondaryIndexes as {
        IndexName: string;
        KeySchema: unknown;
        Projection: { ProjectionType: string };
      }[]
    )[0];
    const local = t?.GlobalSecondaryIndexes?.[0];
    expect(local?.IndexName).toBe(gsi?.IndexName);
    expect(local?.KeySchema).toEqual(gsi?.KeySchema);
    expect(local?.Projection?.ProjectionType).toBe(gsi?.Projection.ProjectionType);
    const ttl = await stack.clients.dynamo.send(
      new DescribeTimeToLiveCommand({ TableName: stack.tableName }),
    );
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
  });

  it('creates every queue as FIFO with the template attributes and a FIFO DLQ redrive', async () => {
    for (const [id, r] of Object.entries(doc.Resources)) {
      if (r.Type !== 'AWS::SQS::Queue') continue;
      const q = stack.resources.queues[id];
      expect(q?.name.endsWith('.fifo')).toBe(true);
      const a =
        (
          await stack.clients.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: q?.url, AttributeNames: ['All'] }),
          )
        ).Attributes ?? {};
      expect(a.FifoQueue).toBe('true');
      if (r.Properties.VisibilityTimeout !== undefined)
        expect(a.VisibilityTimeout).toBe(String(r.Properties.VisibilityTimeout));
      const redrive = r.Properties.RedrivePolicy as
        | { maxReceiveCount: number; deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } }
        | undefined;
      if (redrive) {
        const policy = JSON.parse(a.RedrivePolicy ?? '{}') as {
          maxReceiveCount: number | string;
          deadLetterTargetArn: string;
        };
        expect(Number(policy.maxReceiveCount)).toBe(redrive.maxReceiveCount);
        expect(policy.deadLetterTargetArn).toBe(
          stack.resources.queues[redrive.deadLetterTargetArn['Fn::GetAtt'][0]]?.arn,
        );
      }
    }
  });
});
