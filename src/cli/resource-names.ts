import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The stack's tables and queues, as deployed (serverless.yml) and as the local stack creates them. */
export const RESOURCES_FILE = fileURLToPath(new URL('../../infra/resources.yml', import.meta.url));

/** Evaluates a name in infra/resources.yml: a string, or `Fn::Join` over strings and `Ref: AWS::StackName`. */
function evaluate(value: unknown, stackName: string): string {
  if (typeof value === 'string') return value;
  const o = (value ?? {}) as Record<string, unknown>;
  if (o.Ref === 'AWS::StackName') return stackName;
  const join = o['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((p) => evaluate(p, stackName)).join(join[0]);
  throw new Error(`cannot evaluate the name ${JSON.stringify(value)} in infra/resources.yml`);
}

/**
 * The table and queue names a stack has, by logical id, read from the same infra/resources.yml the
 * deployment and the local stack create them from. Lets the CLI reach a stack it did not start
 * (`--sqs-endpoint`, `--stack-name`) without building names of its own.
 */
export async function resourceNames(
  stackName: string,
  file = RESOURCES_FILE,
): Promise<Record<string, string>> {
  const doc = parse(await readFile(file, 'utf8')) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const out: Record<string, string> = {};
  for (const [id, r] of Object.entries(doc.Resources)) {
    if (r.Type === 'AWS::DynamoDB::Table') out[id] = evaluate(r.Properties?.TableName, stackName);
    if (r.Type === 'AWS::SQS::Queue') out[id] = evaluate(r.Properties?.QueueName, stackName);
  }
  return out;
}
