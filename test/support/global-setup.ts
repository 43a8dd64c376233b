import type { TestProject } from 'vitest/node';
import { buildFunctions } from '../../scripts/build.mjs';
import { startDynamoLocal, startSqsLocal } from '../../tools/local/local-servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    ddbEndpoint: string;
    sqsEndpoint: string;
  }
}

/**
 * One DynamoDB Local JVM (in-memory, telemetry off) and one in-process fauxqs for the whole run,
 * plus the function bundles the poller invokes. Each test file creates its own table and queues
 * under a unique stack name (test/support/test-stack.ts).
 */
export default async function setup(project: TestProject) {
  const [ddb, sqs] = await Promise.all([startDynamoLocal(), startSqsLocal(), buildFunctions()]);
  project.provide('ddbEndpoint', ddb.endpoint);
  project.provide('sqsEndpoint', sqs.endpoint);
  return async () => {
    await sqs.stop();
    await ddb.stop();
  };
}
