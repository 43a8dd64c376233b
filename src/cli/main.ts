import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { STRATEGIES, type Strategy } from '../core/types.js';
import { replayTrace } from '../replay/replay.js';

/** Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input (sysexits-like, documented in --help). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function parseStrategy(value: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${STRATEGIES.join(', ')}`);
  }
  return value as Strategy;
}

async function readJson(path: string): Promise<unknown> {
  const text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

class UsageError extends Error {}

export function buildProgram(out: (s: string) => void): Command {
  const program = new Command('l2pop')
    .description('Serverless L2 population controller: tools for operators and for comparing HA strategies')
    .exitOverride()
    .addHelpText('after', '\nExit codes: 0 success, 1 failure, 2 bad usage or invalid input.');
  program
    .command('replay')
    .description('Replay a Neutron oracle trace through the controller offline and print the result')
    .argument('<trace>', 'trace file in the format of ../shared/oracle/neutron_oracle.py ("-" for stdin)')
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
      out(
        `${JSON.stringify(opts.out === 'state' ? { fdb: result.fdb } : { messages: result.messages }, null, 1)}\n`,
      );
    });
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(
  argv: readonly string[],
  out = (s: string) => void process.stdout.write(s),
  err = (s: string) => void process.stderr.write(s),
): Promise<number> {
  const program = buildProgram(out);
  program.configureOutput({ writeOut: out, writeErr: err });
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const code =
      e instanceof UsageError ||
      (e as { name?: string }).name === 'ZodError' ||
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? EXIT.usage
        : EXIT.failed;
    err(`l2pop: ${(e as Error).message}\n`);
    return code;
  }
}
