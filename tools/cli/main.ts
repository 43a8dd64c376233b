import { addFdbCommand } from '../../src/cli/fdb-command.js';
import { addFlagsCommands } from '../../src/cli/flags-command.js';
import { type AddCommands, main as runCli } from '../../src/cli/main.js';
import { addRebuildCommand } from '../../src/cli/rebuild-command.js';
import { addRedriveCommand } from '../../src/cli/redrive-command.js';
import { addStatusCommand } from '../../src/cli/status-command.js';
import { addVipCommands } from '../../src/cli/vip-command.js';
import { addAbCommands } from './local-command.js';
import { addReplayCommand } from './replay-command.js';
import { addSendCommand } from './send-command.js';
import { addStackCommands } from './stack-command.js';

export { EXIT, VERSION } from '../../src/cli/main.js';

/**
 * Every command `npx l2pop` offers, in the order `--help` lists them: the tooling (the A/B run and
 * `local`, the local stack, `send`, `replay`) around the operator commands that ship in src/cli.
 */
export const ALL_COMMANDS: readonly AddCommands[] = [
  addAbCommands,
  addStackCommands,
  addSendCommand,
  addFdbCommand,
  addFlagsCommands,
  addStatusCommand,
  addRedriveCommand,
  addRebuildCommand,
  addVipCommands,
  addReplayCommand,
];

/** The bin's entry (bin/l2pop.mjs): the CLI with every command; returns the exit code. */
export function main(
  argv: readonly string[],
  out = (s: string) => void process.stdout.write(s),
  err = (s: string) => void process.stderr.write(s),
): Promise<number> {
  return runCli(argv, out, err, ALL_COMMANDS);
}
