import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { type QueueUrls, sendEvents } from '../adapters/aws/inbound-queues.js';
import type { NetworkRebuildEvent } from '../contracts/events.js';
import { type CliIo, UsageError } from './cli-support.js';
import { addTargetOptions, resolveTarget, type TargetOptions } from './stack-target.js';

/**
 * Every network with a state item, by a paginated Scan of the table (keys only, filtered on
 * `sk = STATE`). No key lists every network: `HANET` and `VIPNET` hold only HA and VIP networks,
 * and a network written by the first engine has neither a newer index item nor anything else to
 * find it by, so a Scan is the one complete listing. It reads (and bills) every item of the table,
 * eventually consistent: half a read unit per 4 KB scanned. Operators only (`l2pop rebuild --all`).
 */
export async function scanNetworkIds(client: DynamoDBDocumentClient, tableName: string): Promise<string[]> {
  const out: string[] = [];
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      ProjectionExpression: 'pk',
      FilterExpression: 'sk = :state',
      ExpressionAttributeValues: { ':state': 'STATE' },
    },
  );
  for await (const page of pages)
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith('NET#') && pk !== 'NET#~tunnel') out.push(pk.slice('NET#'.length));
    }
  return out.sort();
}

/**
 * Sends one `network.rebuild` per network to the port-events queue, in the network's FIFO group
 * (`routeEvent`): each runs after the network's port events queued before it.
 */
export async function sendRebuilds(
  sqs: SQSClient,
  queues: QueueUrls,
  networks: readonly string[],
  requestedBy: string,
): Promise<number> {
  const events: NetworkRebuildEvent[] = networks.map((networkId) => ({
    type: 'network.rebuild',
    v: 1,
    networkId,
    requestedBy,
  }));
  const sent = await sendEvents(sqs, queues, events);
  return sent.PortEventsQueue;
}

interface RebuildOptions extends TargetOptions {
  readonly network?: string[];
  readonly all?: boolean;
}

/** `l2pop rebuild --network ID... | --all` (docs/operations.md, "Rebuilding a network"). */
export function addRebuildCommand(program: Command, io: CliIo): void {
  addTargetOptions(
    program
      .command('rebuild')
      .description(
        "Rebuild networks' derived state from their facts (overlap indexes, network record, presence " +
          'counts, drift-audit sums; a snapshot to every agent at the next version), serialised with ' +
          'their port events: after upgrading from the first engine, after a restore (docs/operations.md)',
      )
      .option('--network <id...>', 'the networks to rebuild')
      .option('--all', 'every network with a state item (lists them with a table Scan)'),
  ).action(async (o: RebuildOptions) => {
    if (!o.all === !o.network?.length) throw new UsageError('give --network <id...> or --all (one of them)');
    const target = await resolveTarget(o);
    try {
      let networks = [...new Set(o.network ?? [])];
      if (o.all) {
        io.err(
          'l2pop: listing networks with a table Scan: it reads every item of the table (half a read unit per 4 KB)\n',
        );
        networks = await scanNetworkIds(target.clients.doc, target.tableName);
      }
      const sent = await sendRebuilds(target.clients.sqs, await target.queues(), networks, 'l2pop rebuild');
      for (const n of networks) io.out(`rebuild sent: ${n}\n`);
      io.out(
        `sent ${sent} rebuild events to the port-events queue; each network's agents get a snapshot at its next version (l2pop status shows them converge)\n`,
      );
    } finally {
      target.close();
    }
  });
}
