import type { Command } from 'commander';
import { createAgentQueues } from '../adapters/aws/agent-queues.js';
import { createSqsCommandPublisher } from '../adapters/aws/sqs-command-publisher.js';
import { releaseFrozenVip } from '../app/on-vip-release.js';
import type { FactStore } from '../app/ports.js';
import type { VipRecord } from '../core/vip-view.js';
import { type CliIo, CommandFailedError } from './cli-support.js';
import { addTargetOptions, resolveTarget, type TargetOptions } from './stack-target.js';

/** One VIP as `l2pop vip list` shows it. */
export interface VipRow {
  readonly networkId: string;
  readonly ip: string;
  /** Null: no port owns it (its owner's port lost it; the next claim takes it). */
  readonly owner: { readonly host: string; readonly portId: string; readonly mac: string } | null;
  readonly strategy: string;
  /** Claim time (ms) of the move that froze it; null: not frozen. */
  readonly frozenAt: number | null;
  /** The newest claim recorded, when it is not the owner's (a move suppressed while frozen). */
  readonly newest: { readonly host: string; readonly portId: string; readonly at: number } | null;
  readonly holders: Readonly<Record<string, string>>;
}

export function vipRow(r: VipRecord): VipRow {
  const { owner, newest, frozen } = r.state;
  const same =
    owner !== null && newest.host === owner.host && newest.portId === owner.portId && newest.at === owner.at;
  return {
    networkId: r.networkId,
    ip: r.ip,
    owner: owner ? { host: owner.host, portId: owner.portId, mac: owner.mac } : null,
    strategy: r.strategy,
    frozenAt: frozen ? frozen.at : null,
    newest: same || owner === null ? null : { host: newest.host, portId: newest.portId, at: newest.at },
    holders: r.holders,
  };
}

/** Every VIP of the networks (all networks holding one when `networks` is empty), by network and address. */
export async function listVips(
  store: Pick<FactStore, 'listVipNetworks' | 'listNetworkVips'>,
  networks: readonly string[] = [],
): Promise<VipRow[]> {
  const ids = networks.length > 0 ? [...networks] : await store.listVipNetworks();
  const rows: VipRow[] = [];
  for (const id of [...new Set(ids)].sort()) rows.push(...(await store.listNetworkVips(id)).map(vipRow));
  return rows.sort((a, b) => (a.networkId + a.ip < b.networkId + b.ip ? -1 : 1));
}

export function renderVipRows(rows: readonly VipRow[]): string {
  if (rows.length === 0) return 'no VIP recorded\n';
  return rows
    .map(
      (r) =>
        `${r.networkId} ${r.ip} ` +
        (r.owner
          ? `owner ${r.owner.host} port ${r.owner.portId} mac ${r.owner.mac} strategy ${r.strategy}`
          : 'no owner (its port lost it; the next claim takes it)') +
        (r.frozenAt === null ? '' : ` FROZEN since ${new Date(r.frozenAt).toISOString()}`) +
        (r.newest ? ` (newest claim: ${r.newest.host} port ${r.newest.portId})` : '') +
        '\n',
    )
    .join('');
}

/** `l2pop vip list|release`: the VIPs the controller records, and the operator's release of a frozen one. */
export function addVipCommands(program: Command, io: CliIo): void {
  const vip = program
    .command('vip')
    .description('List the VIPs (allowed-address pair claims) or release a frozen one');
  addTargetOptions(
    vip
      .command('list')
      .description('Print every VIP: network, address, owner (host, port, MAC), strategy, frozen or not')
      .option('--network <id...>', 'only these networks')
      .option('--json', 'print JSON'),
  ).action(async (o: TargetOptions & { network?: string[]; json?: boolean }) => {
    const target = await resolveTarget(o);
    try {
      const rows = await listVips(target.store(), o.network ?? []);
      io.out(o.json ? `${JSON.stringify(rows, null, 2)}\n` : renderVipRows(rows));
    } finally {
      target.close();
    }
  });
  addTargetOptions(
    vip
      .command('release')
      .description(
        'Release a frozen VIP now: it moves to the newest claim recorded and its moves are counted afresh ' +
          '(a conditional write of the VIP and its network, then the agents get the commands; docs/vip.md)',
      )
      .argument('<network>', 'the network id')
      .argument('<ip>', 'the VIP'),
  ).action(async (networkId: string, ip: string, o: TargetOptions) => {
    const target = await resolveTarget(o);
    try {
      const outputs = await target.outputs();
      const queues = createAgentQueues({ sqs: target.clients.sqs, prefix: outputs.agentQueuePrefix });
      const publisher = createSqsCommandPublisher({ sqs: target.clients.sqs, queues });
      const r = await releaseFrozenVip({ store: target.store(), publisher }, networkId, ip);
      if (r === 'unknown_vip') throw new CommandFailedError(`no VIP ${ip} recorded in network ${networkId}`);
      if (r === 'not_frozen') throw new CommandFailedError(`VIP ${ip} in network ${networkId} is not frozen`);
      const owner = r.vip?.owner;
      const n = r.networks[0];
      io.out(
        `released ${ip} in ${networkId}: owner ${owner?.host} port ${owner?.portId} mac ${owner?.mac}` +
          (n ? `, version ${n.version}, ${n.commands} commands sent\n` : '\n'),
      );
    } finally {
      target.close();
    }
  });
}
