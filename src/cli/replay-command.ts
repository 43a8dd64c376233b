import { type Command, Option } from 'commander';
import type { Strategy } from '../core/types.js';
import { replayTrace } from '../replay/replay.js';
import { type CliIo, parseStrategy, readJson } from './cli-support.js';

/** `l2pop replay TRACE`: the controller's use-cases on a Neutron trace, offline, in memory. */
export function addReplayCommand(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description('Replay a Neutron oracle trace through the controller offline and print the result')
    .argument('<trace>', 'trace file, in the format of docs/trace-format.md ("-" for stdin)')
    .addOption(
      new Option('--strategy <strategy>', 'HA-router strategy').argParser(parseStrategy).default('tunnel'),
    )
    .addOption(
      new Option('--out <what>', 'state: end FDB per agent; messages: commands per agent')
        .choices(['state', 'messages'])
        .default('state'),
    )
    .action(async (trace: string, opts: { strategy: Strategy; out: 'state' | 'messages' }) => {
      const result = await replayTrace(await readJson(trace), { strategy: opts.strategy });
      io.out(
        `${JSON.stringify(opts.out === 'state' ? { fdb: result.fdb } : { messages: result.messages }, null, 1)}\n`,
      );
    });
}
