import {
  type DynamoDBDocumentClient,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AppliedNetwork, AppliedVersions } from '../../app/ports.js';
import { idAfter, KEYS, PREFIX } from './dynamo-keys.js';

export interface AppliedStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * `agent.applied` reports in the state table: one item per (host, network), `HOST#<host>` /
 * `APPLIED#<network>`, next to the host's presence items. A report is written only if it is newer
 * (same boot, higher version) or from a new boot: a conditional update, one per network.
 */
export function createDynamoAppliedStore(options: AppliedStoreOptions) {
  const { client, tableName: TableName } = options;
  const store = {
    async record(host: string, bootId: string, networks: Readonly<Record<string, number>>, at: number) {
      let written = 0;
      for (const [networkId, version] of Object.entries(networks)) {
        try {
          await client.send(
            new UpdateCommand({
              TableName,
              Key: KEYS.applied(host, networkId),
              UpdateExpression: 'SET version = :v, bootId = :b, appliedAt = :at',
              ConditionExpression: 'attribute_not_exists(version) OR bootId <> :b OR version < :v',
              ExpressionAttributeValues: { ':v': version, ':b': bootId, ':at': at },
            }),
          );
          written++;
        } catch (err) {
          if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
        }
      }
      return written;
    },
    async list(host: string): Promise<AppliedNetwork[]> {
      const out: AppliedNetwork[] = [];
      const pages = paginateQuery(
        { client },
        {
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': `${PREFIX.host}${host}`, ':p': PREFIX.applied },
        },
      );
      for await (const page of pages)
        for (const i of page.Items ?? [])
          out.push({
            networkId: idAfter(PREFIX.applied, String(i.sk)),
            version: Number(i.version),
            bootId: String(i.bootId),
            at: Number(i.appliedAt),
          });
      return out;
    },
    /**
     * Every agent host in the table: a Scan for the `AGENT` items, for operators only (`l2pop
     * status` of a whole stack). It reads the whole table; `status --host` and `--network` do not.
     */
    async listHosts(): Promise<string[]> {
      const hosts: string[] = [];
      const pages = paginateScan(
        { client },
        {
          TableName,
          FilterExpression: 'sk = :s',
          ExpressionAttributeValues: { ':s': 'AGENT' },
          ProjectionExpression: 'pk',
        },
      );
      for await (const page of pages)
        for (const i of page.Items ?? []) hosts.push(idAfter(PREFIX.host, String(i.pk)));
      return hosts.sort();
    },
  } satisfies AppliedVersions & { listHosts(): Promise<string[]> };
  return store;
}

export type DynamoAppliedStore = ReturnType<typeof createDynamoAppliedStore>;
