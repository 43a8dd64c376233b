import { type Command, Option } from 'commander';
import { type CliIo, parseStrategy, readJson, UsageError } from '../../src/cli/cli-support.js';
import type { Strategy } from '../../src/core/types.js';
import { replayTrace } from '../replay/replay.js';
import { traceSchema } from '../replay/trace.js';

const TRACE_KEYS = new Set(Object.keys(traceSchema.shape));

/**
 * A trace is an object with a `steps` list and only the trace's own keys: anything else (`{}`,
 * `{"foo":1}`, a list, an event file) is a usage error, not an empty replay that exits 0.
 */
function checkIsTrace(input: unknown, path: string): void {
  const expected = `expected an oracle trace: an object with "steps" and only ${[...TRACE_KEYS].join(', ')}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new UsageError(`${path}: not a trace (${expected})`);
  const unknown = Object.keys(input).filter((k) => !TRACE_KEYS.has(k));
  if (unknown.length > 0)
    throw new UsageError(`${path}: not a trace: unknown key ${unknown.join(', ')} (${expected})`);
  if (!Array.isArray((input as { steps?: unknown }).steps))
    throw new UsageError(`${path}: not a trace: no "steps" list (${expected})`);
}

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
      const input = await readJson(trace);
      checkIsTrace(input, trace);
      const result = await replayTrace(input, { strategy: opts.strategy });
      io.out(
        `${JSON.stringify(opts.out === 'state' ? { fdb: result.fdb } : { messages: result.messages }, null, 1)}\n`,
      );
    });
}
