import { hostname, userInfo } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { claimFlagsRevision, FlagsClaimedError } from '../adapters/aws/dynamo-flags-claim.js';
import { sendEvents } from '../adapters/aws/inbound-queues.js';
import { idSchema } from '../contracts/primitives.js';
import { resolveStrategy } from '../core/flags.js';
import type { FlagSettings, Strategy } from '../core/types.js';
import {
  type CliIo,
  CommandFailedError,
  parseNonNegativeInt,
  parseStrategy,
  UsageError,
} from './cli-support.js';
import { readStackStatus } from './stack-status.js';
import { addTargetOptions, resolveTarget, type StackTarget, type TargetOptions } from './stack-target.js';

/** Who holds a flags claim, for the other operator's message. */
function operatorName(): string {
  return `${userInfo().username}@${hostname()} (pid ${process.pid})`;
}

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
  readonly port?: Override[];
  readonly unsetPort?: string[];
  readonly wait: boolean;
  readonly timeout: number;
}

function describeFlags(f: FlagSettings, revision: number): string {
  const lines = [`revision ${revision}${revision === 0 ? ' (deployment defaults, no flags.set yet)' : ''}`];
  lines.push(`default strategy  ${f.defaultStrategy}`);
  lines.push(
    `rollout           ${f.rollout ? `${f.rollout.percent}% of routers -> ${f.rollout.strategy}` : 'none'}`,
  );
  for (const [id, s] of Object.entries(f.networks)) lines.push(`network ${id}  ${s}`);
  for (const [id, s] of Object.entries(f.routers)) lines.push(`router ${id}  ${s}`);
  for (const [id, s] of Object.entries(f.ports ?? {})) lines.push(`port ${id} (its VIPs)  ${s}`);
  return `${lines.join('\n')}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForRevision(target: StackTarget, revision: number, deadline: number): Promise<void> {
  const store = target.store();
  for (;;) {
    const got = await store.getFlags();
    if (got.revision === revision) return;
    if (got.revision > revision)
      throw new CommandFailedError(
        `another operator recorded flags revision ${got.revision} after yours (${revision}); check \`l2pop flags get\``,
      );
    if (Date.now() > deadline)
      throw new CommandFailedError(
        `flags revision ${revision} not recorded in time (is the stack's ha-events function running? check \`l2pop status\`)`,
      );
    await sleep(200);
  }
}

/** HA networks where some router resolves to another strategy under `next` than under `before`. */
async function affectedNetworks(
  target: StackTarget,
  before: FlagSettings,
  next: FlagSettings,
): Promise<string[]> {
  const store = target.store();
  const out: string[] = [];
  for (const id of await store.listHaNetworks()) {
    const state = await store.getNetworkState(id);
    const routers = Object.keys(state?.routers ?? {});
    if (
      routers.some((r) => resolveStrategy(before, r, id).strategy !== resolveStrategy(next, r, id).strategy)
    )
      out.push(id);
  }
  return out.sort();
}

/** Polls the status of the affected networks until every agent in them holds the new view. */
async function waitForAgents(target: StackTarget, networks: readonly string[], deadline: number, io: CliIo) {
  for (;;) {
    const s = await readStackStatus(target, { networks, convergenceOnly: true });
    if (s.converged) {
      io.err(`converged: ${s.agents.length} agents hold the new view of ${networks.length} HA networks\n`);
      return;
    }
    if (Date.now() > deadline) {
      const behind = s.agents.filter((a) => !a.converged);
      const lines = behind.map(
        (a) =>
          `  ${a.host}: ${a.networks
            .filter((n) => !n.converged)
            .map((n) => `${n.networkId} holds ${n.held} of ${n.current}`)
            .join(', ')}`,
      );
      const unmoved = s.routers.flatMap((r) =>
        r.networks
          .filter((n) => n.strategy !== n.wanted)
          .map((n) => `  router ${r.routerId} on ${n.networkId}: still ${n.strategy}`),
      );
      throw new CommandFailedError(
        `not converged in time: ${behind.length} agents behind${unmoved.length ? `, ${unmoved.length} router views not moved yet` : ''}\n${[...lines, ...unmoved].join('\n')}`,
      );
    }
    await sleep(300);
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
        'Change the flags: claims the next revision (so two operators cannot overwrite each other), sends a ' +
          'flags.set event through the HA events queue, waits until it is recorded and every affected agent holds ' +
          'the new view (exit 1 naming the agents that did not converge in time)',
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
      .addOption(
        new Option(
          '--port <id=strategy>',
          'per-port override of the VIPs the port owns (repeatable; docs/vip.md)',
        ).argParser(parseOverride),
      )
      .addOption(new Option('--unset-port <id>', 'drop a per-port override (repeatable)').argParser(collect))
      .addOption(
        new Option('--timeout <seconds>', 'how long to wait for the record and the agents')
          .argParser(parseNonNegativeInt)
          .default(120),
      )
      .option('--no-wait', 'do not wait for the controller to record the change and the agents to converge'),
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
      o.port,
      o.unsetPort,
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
      // per-port VIP overrides are kept unless changed: a flags.set replaces the whole settings
      const ports: Record<string, Strategy> = { ...f.ports, ...Object.fromEntries(o.port ?? []) };
      for (const id of o.unsetPort ?? []) delete ports[id];
      const percent = o.rollout ?? f.rollout?.percent ?? 0;
      const rolloutStrategy = o.rolloutStrategy ?? f.rollout?.strategy ?? 'master-binding';
      const next: FlagSettings = {
        defaultStrategy: o.default ?? f.defaultStrategy,
        rollout: percent > 0 ? { percent, strategy: rolloutStrategy } : null,
        networks,
        routers,
        ...(Object.keys(ports).length > 0 ? { ports } : {}),
      };
      const claim = { client: target.clients.doc, tableName: target.tableName };
      const revision = await claimFlagsRevision(claim, current.revision, operatorName()).catch(
        (err: unknown) => {
          if (err instanceof FlagsClaimedError)
            throw new CommandFailedError(
              `${err.message}: wait until it is recorded (\`l2pop flags get\`) and run this again; a claim left by a crashed run expires after 5 minutes`,
            );
          throw err;
        },
      );
      await sendEvents(target.clients.sqs, await target.queues(), [
        { type: 'flags.set', v: 1, flags: next, revision },
      ]);
      if (!o.wait) {
        io.out(`sent: ${describeFlags(next, revision)}`);
        return;
      }
      const deadline = Date.now() + o.timeout * 1000;
      await waitForRevision(target, revision, deadline);
      io.out(`recorded: ${describeFlags(next, revision)}`);
      const affected = await affectedNetworks(target, f, next);
      if (affected.length === 0)
        io.err('no HA router changes strategy: no agent has anything to converge to\n');
      else await waitForAgents(target, affected, deadline, io);
    } finally {
      target.close();
    }
  });
}
