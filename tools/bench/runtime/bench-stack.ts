import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createAgentQueues } from '../../../src/adapters/aws/agent-queues.js';
import { type AwsClients, createAwsClients } from '../../../src/adapters/aws/aws-clients.js';
import { createDynamoAuditStore } from '../../../src/adapters/aws/dynamo-audit-store.js';
import { createDynamoFactStore } from '../../../src/adapters/aws/dynamo-fact-store.js';
import { createSqsCommandPublisher } from '../../../src/adapters/aws/sqs-command-publisher.js';
import type { Deps } from '../../../src/app/reconcile.js';
import { createLocalResources, type LocalResources } from '../../local/local-resources.js';
import { type LocalServer, startDynamoLocal, startSqsLocal } from '../../local/local-servers.js';
import { createDynamoMeter } from '../../support/dynamo-meter.js';

/** DynamoDB Local and fauxqs for one bench run, and a fresh table + queues per scenario. */
export async function startBenchServers() {
  const [dynamo, sqs]: LocalServer[] = await Promise.all([startDynamoLocal(), startSqsLocal()]);
  const endpoints = { dynamo: (dynamo as LocalServer).endpoint, sqs: (sqs as LocalServer).endpoint };
  const aws: AwsClients = createAwsClients({
    region: 'us-east-1',
    dynamoEndpoint: endpoints.dynamo,
    sqsEndpoint: endpoints.sqs,
  });
  // The bench meters its own client (the functions ship without a meter, src/runtime/seams.ts).
  const clients = { ...aws, meter: createDynamoMeter(aws.dynamo) };
  return {
    endpoints,
    clients,
    async scenario(label: string) {
      const stackName = `bench-${label}-${randomUUID().slice(0, 6)}`;
      const resources: LocalResources = await createLocalResources({
        dynamo: clients.dynamo,
        sqs: clients.sqs,
        stackName,
      });
      const tableName = resources.tables.StateTable as string;
      const queues = createAgentQueues({ sqs: clients.sqs, prefix: `${stackName}-agent-cmd-` });
      const publisher = createSqsCommandPublisher({ sqs: clients.sqs, queues });
      const deps = (): Deps => ({
        store: createDynamoFactStore({ client: clients.doc, tableName }),
        publisher,
        audits: { store: createDynamoAuditStore({ client: clients.doc, tableName }) },
      });
      return {
        stackName,
        resources,
        tableName,
        queues,
        publisher,
        deps,
        drop: () => clients.dynamo.send(new DeleteTableCommand({ TableName: tableName })),
      };
    },
    async stop() {
      clients.destroy();
      await Promise.all([(sqs as LocalServer).stop(), (dynamo as LocalServer).stop()]);
    },
  };
}

export type BenchServers = Awaited<ReturnType<typeof startBenchServers>>;
export type BenchScenario = Awaited<ReturnType<BenchServers['scenario']>>;
