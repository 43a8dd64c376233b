import { type Command, InvalidArgumentError } from 'commander';
import { hostSchema } from '../contracts/primitives.js';
import { readAgentState } from './agent-state-file.js';
import { type CliIo, CommandFailedError, paint, UsageError } from './cli-support.js';
import { compareTables, intendedTables } from './controller-view.js';
import { addTargetOptions, resolveTarget, type TargetOptions } from './stack-target.js';

const parseHost = (v: string) => {
  if (!hostSchema.safeParse(v).success) throw new InvalidArgumentError('not a host name');
  return v;
};

interface FdbOptions extends TargetOptions {
  readonly agentState?: string;
  readonly json?: boolean;
}

/**
 * `l2pop fdb HOST`: the table the controller intends (computed by the core from the facts in the
 * table) next to the one the agent says it holds (the state file it writes after every batch).
 */
export function addFdbCommand(program: Command, io: CliIo): void {
  addTargetOptions(
    program
      .command('fdb')
      .description(
        "Show an agent's FDB as the controller intends it and as the agent holds it, differences highlighted " +
          '(exit 1 when they differ or the agent wrote no state)',
      )
      .argument('<host>', 'the agent host', parseHost)
      .option(
        '--agent-state <dir>',
        "directory of the agents' <host>.json state files (default: the stack's)",
      )
      .option('--json', 'print both sides and the differences as JSON'),
  ).action(async (host: string, o: FdbOptions) => {
    const target = await resolveTarget(o);
    try {
      const dir = o.agentState ?? target.agentStateDir;
      const held = dir ? await readAgentState(dir, host) : undefined;
      const intended = await intendedTables(target.store(), host, Object.keys(held?.networks ?? {}));
      if (!intended.agent && !held) throw new UsageError(`no agent ${host} in stack ${target.stackName}`);
      const networks = intended.networks.map((n) => {
        const h = held?.networks[n.networkId];
        const rows = compareTables(n.table, h?.table ?? {});
        return { ...n, heldVersion: h?.version ?? 0, rows, differs: rows.some((r) => r.status !== 'both') };
      });
      const differs = !held || networks.some((n) => n.differs);
      if (o.json)
        io.out(
          `${JSON.stringify({ host, agent: intended.agent, held: held ?? null, networks, differs }, null, 1)}\n`,
        );
      else {
        const a = intended.agent;
        io.out(
          `${host}: tunnel ${a?.tunnelIp ?? '?'}, boot ${a?.bootId ?? '?'} (controller) / ${held?.bootId ?? 'no state'} (agent)\n`,
        );
        if (!held)
          io.out(
            `  the agent wrote no state${dir ? ` in ${dir}` : ''}: showing the controller's side only\n`,
          );
        for (const n of networks) {
          io.out(
            `network ${n.networkId}: controller sent version ${n.sentVersion}, agent holds ${n.heldVersion}\n`,
          );
          for (const r of n.rows) {
            const mark =
              r.status === 'both' ? '  ' : r.status === 'missing' ? paint(io, 33, '+ ') : paint(io, 31, '- ');
            const note =
              r.status === 'both'
                ? ''
                : r.status === 'missing'
                  ? '  (intended, agent lacks it)'
                  : '  (agent holds it, not intended)';
            io.out(`  ${mark}${r.tunnelIp.padEnd(16)} ${r.entry[0]}  ${r.entry[1]}${note}\n`);
          }
        }
        if (networks.length === 0) io.out('  no networks\n');
      }
      if (differs)
        throw new CommandFailedError(
          held ? `${host} differs from what the controller intends` : `no agent state for ${host}`,
        );
    } finally {
      target.close();
    }
  });
}
