import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { type CliIo, CommandFailedError, EXIT, UsageError } from './cli-support.js';
import { addFdbCommand } from './fdb-command.js';
import { addFlagsCommands } from './flags-command.js';
import { addRebuildCommand } from './rebuild-command.js';
import { addRedriveCommand } from './redrive-command.js';
import { addStatusCommand } from './status-command.js';
import { addVipCommands } from './vip-command.js';

export { EXIT } from './cli-support.js';

/** The package's version (package.json), for `--version`. */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const EXIT_HELP =
  '\nExit codes: 0 success, 1 failure (the work ran and failed, found a difference, or a service could not be reached), 2 bad usage or invalid input.';

/** Adds one command group to the program; each group lives in its own file. */
export type AddCommands = (program: Command, io: CliIo) => void;

/**
 * The commands that ship: an operator's view of a stack, deployed or local. The local stack, the
 * A/B run, `send` (which reads scenarios and traces) and `replay` are tooling (tools/cli/main.ts
 * adds them; bin/l2pop.mjs runs that program).
 */
export const OPERATOR_COMMANDS: readonly AddCommands[] = [
  addFdbCommand,
  addFlagsCommands,
  addStatusCommand,
  addRedriveCommand,
  addRebuildCommand,
  addVipCommands,
];

/** The program with `commands`, in that order; `--help` on every command lists its options. */
export function buildProgram(io: CliIo, commands: readonly AddCommands[] = OPERATOR_COMMANDS): Command {
  const program = new Command('l2pop')
    .description(
      'Serverless L2 population controller: a local stack, simulated agents, A/B of the HA strategies, operator tools',
    )
    .version(VERSION, '--version', 'print the version')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `${EXIT_HELP}\n\nStart here: npx l2pop local`);
  for (const add of commands) add(program, io);
  // output, exitOverride and showHelpAfterError are inherited by subcommands; help text is not
  for (const c of program.commands) {
    c.addHelpText('after', EXIT_HELP);
    for (const sub of c.commands) sub.addHelpText('after', EXIT_HELP);
  }
  return program;
}

function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError || e instanceof ZodError) return EXIT.usage;
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return EXIT.usage;
  if ((e as { name?: string }).name === 'ReplayError' || (e as { name?: string }).name === 'ZodError')
    return EXIT.usage;
  return EXIT.failed;
}

/**
 * The AWS SDK warns once per process that its 2027 releases will need Node 22
 * (docs/local-aws.md §6). It says nothing about this run, so the CLI keeps it off the
 * user's terminal; every other warning goes through.
 */
let muted = false;
function muteSdkNodeVersionWarning(): void {
  if (muted) return;
  muted = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    if (String(warning).startsWith('NodeVersionSupportWarning')) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(
  argv: readonly string[],
  out = (s: string) => void process.stdout.write(s),
  err = (s: string) => void process.stderr.write(s),
  commands: readonly AddCommands[] = OPERATOR_COMMANDS,
): Promise<number> {
  const io: CliIo = {
    out,
    err,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    invocation: ['npx', 'l2pop', ...argv.slice(2)].join(' '),
  };
  muteSdkNodeVersionWarning();
  const program = buildProgram(io, commands);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const code = exitCodeOf(e);
    if (!(e instanceof CommandFailedError) || (e as Error).message) err(`l2pop: ${(e as Error).message}\n`);
    return code;
  }
}
