import { type Command, InvalidArgumentError, Option } from 'commander';
import { idSchema } from '../contracts/primitives.js';
import { resolveStrategy } from '../core/flags.js';
import type { FlagSettings, Strategy } from '../core/types.js';
import { sendEvents } from '../local/inbound.js';
import {
  type CliIo,
  CommandFailedError,
  parseNonNegativeInt,
  parseStrategy,
  UsageError,
} from './cli-support.js';
import { addTargetOptions, resolveTarget, type StackTarget, type TargetOptions } from './stack-target.js';

type Override = readonly [id: string, strategy: Strategy];

function parseOverride(value: string, previous: Override[] = []): Override[] {
  const [id, s] = value.split('=');
  if (!id || !s || !idSchema.safeParse(id).success) throw new InvalidArgumentError('expected ID=STRATEGY');
  return [...previous, [id, parseStrategy(s)]];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SetOptions extends TargetOptions {
  readonly default?: Strategy;
  readonly rollout?: number;
  readonly rolloutStrategy?: Strategy;
  readonly network?: Override[];
  readonly router?: Override[];
  readonly unsetNetwork?: string[];
  readonly unsetRouter?: string[];
  readonly wait: boolean;
}

function describeFlags(f: FlagSettings, revision: number): string {
  const lines = [`revision ${revision}${revision === 0 ? ' (deployment defaults, no flags.set yet)' : ''}`];
  lines.push(`default strategy  ${f.defaultStrategy}`);
  lines.push(
    `rollout           ${f.rollout ? `${f.rollout.percent}% of routers -> ${f.rollout.strategy}` : 'none'}`,
  );
  for (const [id, s] of Object.entries(f.networks)) lines.push(`network ${id}  ${s}`);
  for (const [id, s] of Object.entries(f.routers)) lines.push(`router ${id}  ${s}`);
  return `${lines.join('\n')}\n`;
}

async function waitForRevision(target: StackTarget, revision: number, timeoutMs: number): Promise<void> {
  const store = target.store();
  const deadline = Date.now() + timeoutMs;
  while ((await store.getFlags()).revision < revision) {
    if (Date.now() > deadline)
      throw new CommandFailedError(
        `flags revision ${revision} not recorded within ${timeoutMs} ms (is the stack's ha-events function running?)`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `l2pop flags get|set`: the HA strategy flags, read from the table, changed through a real `flags.set` event. */
export function addFlagsCommands(program: Command, io: CliIo): void {
  const flags = program.command('flags').description('Read or change the HA-router strategy flags');
  addTargetOptions(
    flags
      .command('get')
      .description('Print the flags in force (global default, rollout, per-network and per-router overrides)')
      .option('--router <id>', 'also print the strategy this router resolves to, and why')
      .option('--network <id>', 'with --router: on this network')
      .option('--json', 'print JSON'),
  ).action(async (o: TargetOptions & { router?: string; network?: string; json?: boolean }) => {
    const target = await resolveTarget(o);
    try {
      const { flags: f, revision } = await target.store().getFlags();
      const resolved = o.router ? resolveStrategy(f, o.router, o.network ?? '') : undefined;
      if (o.json) io.out(`${JSON.stringify({ revision, flags: f, ...(resolved ? { resolved } : {}) })}\n`);
      else {
        io.out(describeFlags(f, revision));
        if (resolved)
          io.out(
            `router ${o.router} resolves to ${resolved.strategy} (from the ${resolved.source} setting)\n`,
          );
      }
    } finally {
      target.close();
    }
  });
  addTargetOptions(
    flags
      .command('set')
      .description(
        'Change the flags: sends a flags.set event (next revision) through the HA events queue and waits until it is recorded',
      )
      .addOption(new Option('--default <strategy>', 'global default strategy').argParser(parseStrategy))
      .addOption(
        new Option(
          '--rollout <percent>',
          'percentage of routers (stable hash) on --rollout-strategy; 0 turns it off',
        ).argParser(parseNonNegativeInt),
      )
      .addOption(
        new Option('--rollout-strategy <strategy>', 'strategy of the rollout').argParser(parseStrategy),
      )
      .addOption(
        new Option('--network <id=strategy>', 'per-network override (repeatable)').argParser(parseOverride),
      )
      .addOption(
        new Option('--router <id=strategy>', 'per-router override (repeatable)').argParser(parseOverride),
      )
      .addOption(
        new Option('--unset-network <id>', 'drop a per-network override (repeatable)').argParser(collect),
      )
      .addOption(
        new Option('--unset-router <id>', 'drop a per-router override (repeatable)').argParser(collect),
      )
      .option('--no-wait', 'do not wait for the controller to record the change'),
  ).action(async (o: SetOptions) => {
    if (o.rollout !== undefined && o.rollout > 100)
      throw new UsageError('--rollout: expected a percentage (0-100)');
    const changes = [
      o.default,
      o.rollout,
      o.rolloutStrategy,
      o.network,
      o.router,
      o.unsetNetwork,
      o.unsetRouter,
    ];
    if (changes.every((c) => c === undefined))
      throw new UsageError('nothing to set: give --default, --rollout, --network, --router or --unset-*');
    const target = await resolveTarget(o);
    try {
      const current = await target.store().getFlags();
      const f = current.flags;
      const networks = { ...f.networks, ...Object.fromEntries(o.network ?? []) };
      const routers = { ...f.routers, ...Object.fromEntries(o.router ?? []) };
      for (const id of o.unsetNetwork ?? []) delete networks[id];
      for (const id of o.unsetRouter ?? []) delete routers[id];
      const percent = o.rollout ?? f.rollout?.percent ?? 0;
      const rolloutStrategy = o.rolloutStrategy ?? f.rollout?.strategy ?? 'master-binding';
      const next: FlagSettings = {
        defaultStrategy: o.default ?? f.defaultStrategy,
        rollout: percent > 0 ? { percent, strategy: rolloutStrategy } : null,
        networks,
        routers,
      };
      const revision = current.revision + 1;
      await sendEvents(target.clients.sqs, await target.queues(), [
        { type: 'flags.set', v: 1, flags: next, revision },
      ]);
      if (o.wait) await waitForRevision(target, revision, 15_000);
      io.out(`${o.wait ? 'recorded' : 'sent'}: ${describeFlags(next, revision)}`);
    } finally {
      target.close();
    }
  });
}
