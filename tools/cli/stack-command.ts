import path from 'node:path';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { INBOUND_QUEUES, type QueueUrls } from '../../src/adapters/aws/inbound-queues.js';
import { type CliIo, parsePort, parseStrategy, readJson, UsageError } from '../../src/cli/cli-support.js';
import {
  DEFAULT_STACK_FILE,
  isAlive,
  readStackFile,
  removeStackFile,
  type StackFile,
  writeStackFile,
} from '../../src/cli/stack-file.js';
import { capabilitiesSchema } from '../../src/contracts/events.js';
import { hostSchema, ipSchema } from '../../src/contracts/primitives.js';
import type { Strategy } from '../../src/core/types.js';
import { startController, startLocalServers } from '../local/boot.js';
import { PortInUseError } from '../local/local-servers.js';
import { DEFAULT_AGENTS } from '../sim/default-scenario.js';
import { createSimFleet } from '../sim/sim-fleet.js';

interface StackUpOptions {
  readonly data?: string;
  readonly stackName: string;
  readonly strategy: Strategy;
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
  readonly stackFile: string;
  readonly agents?: string;
  readonly json?: boolean;
  readonly logLevel: string;
}

const agentsFileSchema = z.array(
  z.object({
    host: hostSchema,
    tunnelIp: ipSchema,
    capabilities: capabilitiesSchema.default({ learning: true, arp: 'responder' }),
    agentType: z.string().min(1).default('simulated agent'),
    networkTypes: z.array(z.enum(['vxlan', 'gre', 'geneve'])).default(['vxlan']),
  }),
);

async function loadAgents(spec: string) {
  if (spec === 'default')
    return DEFAULT_AGENTS.map((a) => ({
      ...a,
      agentType: 'simulated agent',
      networkTypes: ['vxlan' as const],
    }));
  const r = agentsFileSchema.safeParse(await readJson(spec));
  if (!r.success)
    throw new UsageError(
      `${spec}: expected [{"host", "tunnelIp", "capabilities"?}...]: ${r.error.issues[0]?.message}`,
    );
  return r.data;
}

function describe(s: StackFile, file: string): string {
  return [
    `l2pop local stack "${s.stackName}" is up (default strategy ${s.defaultStrategy}); Ctrl-C stops it.`,
    `  DynamoDB   ${s.endpoints.dynamo}   table ${s.tableName}${s.dataDir ? ` (persisted in ${s.dataDir})` : ' (in memory)'}`,
    `  SQS        ${s.endpoints.sqs}   (fauxqs, in memory)`,
    ...INBOUND_QUEUES.map((id) => `  ${id.padEnd(17)} ${s.queues[id]}`),
    `  agent queues      ${s.agentQueuePrefix}<host>.fifo`,
    s.agentStateDir
      ? `  agent state       ${s.agentStateDir}/<host>.json`
      : '  agent state       none (no --agents)',
    `  state file        ${file}`,
    '',
  ].join('\n');
}

/** `l2pop stack up`: the local stack in the foreground until SIGINT/SIGTERM. */
async function stackUp(io: CliIo, o: StackUpOptions): Promise<void> {
  const existing = await readStackFile(o.stackFile).catch(() => undefined);
  if (existing && isAlive(existing.pid))
    throw new UsageError(
      `a stack is already running (pid ${existing.pid}, ${o.stackFile}); stop it or give another --stack-file`,
    );
  const agents = o.agents ? await loadAgents(o.agents) : [];
  const servers = await startLocalServers({
    dataDir: o.data,
    dynamoPort: o.dynamoPort,
    sqsPort: o.sqsPort,
  }).catch((err: unknown) => {
    if (!(err instanceof PortInUseError)) throw err;
    const option = err.port === o.dynamoPort ? '--dynamo-port' : '--sqs-port';
    throw new UsageError(`${err.message}; free it or give another ${option} (default: a free one)`);
  });
  const stop: (() => Promise<void>)[] = [() => servers.stop()];
  try {
    const controller = await startController(servers, {
      stackName: o.stackName,
      env: {
        L2POP_DEFAULT_STRATEGY: o.strategy,
        L2POP_LOG_LEVEL: o.logLevel,
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    });
    stop.unshift(() => controller.stop());
    const queues = Object.fromEntries(
      INBOUND_QUEUES.map((id) => [id, controller.resources.queues[id]?.url ?? '']),
    ) as unknown as QueueUrls;
    const agentStateDir = agents.length > 0 ? path.resolve(path.dirname(o.stackFile), 'agents') : null;
    if (agentStateDir) {
      const fleet = createSimFleet({
        sqs: servers.clients.sqs,
        prefix: controller.stack.agentQueuePrefix,
        agentEventsUrl: queues.AgentEventsQueue,
        stateDir: agentStateDir,
        // what `l2pop status` and `flags set` read of a deployed stack's agents
        reportAppliedMs: 300,
        // each agent's drift audit, which `l2pop status` shows (docs/drift-audit.md)
        auditMs: 5000,
        ...(o.logLevel === 'DEBUG' || o.logLevel === 'INFO'
          ? { log: (line: Readonly<Record<string, unknown>>) => io.out(`${JSON.stringify(line)}\n`) }
          : {}),
      });
      stop.unshift(() => fleet.stop());
      for (const a of agents)
        await fleet.report({
          type: 'agent.report',
          v: 1,
          ...a,
          bootId: `${a.host}-${process.pid}-${Date.now()}`,
          revision: Date.now(),
        });
    }
    const state: StackFile = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stackName: o.stackName,
      tableName: controller.resources.tables.StateTable ?? `${o.stackName}-state`,
      region: 'us-east-1',
      endpoints: servers.endpoints,
      queues,
      agentQueuePrefix: controller.stack.agentQueuePrefix,
      defaultStrategy: o.strategy,
      agentStateDir,
      dataDir: o.data ? path.resolve(o.data) : null,
    };
    await writeStackFile(o.stackFile, state);
    stop.unshift(() => removeStackFile(o.stackFile));
    io.out(o.json ? `${JSON.stringify(state, null, 2)}\n` : describe(state, o.stackFile));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.err('l2pop: stopping the local stack\n');
  } finally {
    for (const s of stop) await s();
  }
}

/** `l2pop stack up`. */
export function addStackCommands(program: Command, io: CliIo): void {
  const stack = program
    .command('stack')
    .description('Run the local stack for other tools to use through its queues');
  stack
    .command('up')
    .description(
      'Start DynamoDB Local, fauxqs and the bundled functions behind the poller in the foreground; print the ' +
        'endpoints and queue URLs and write them to the state file the other commands read',
    )
    .addOption(
      new Option(
        '--data <dir>',
        "persist DynamoDB Local's files here (fauxqs has no persistence: queues start empty)",
      ),
    )
    .addOption(new Option('--stack-name <name>', 'names the table and queues').default('l2pop-local'))
    .addOption(
      new Option('--strategy <strategy>', 'the deployment default HA strategy')
        .argParser(parseStrategy)
        .default('tunnel'),
    )
    .addOption(
      new Option('--dynamo-port <port>', 'DynamoDB Local port (default: a free one)').argParser(parsePort),
    )
    .addOption(new Option('--sqs-port <port>', 'fauxqs port (default: a free one)').argParser(parsePort))
    .addOption(
      new Option('--stack-file <file>', 'where to write the endpoints and queue URLs').default(
        DEFAULT_STACK_FILE,
      ),
    )
    .addOption(
      new Option(
        '--agents <file>',
        'run simulated agents that report themselves and write what they hold for `l2pop fdb`: "default" (the 9 hosts of `l2pop local`) or a JSON file [{"host", "tunnelIp", "capabilities"}]',
      ),
    )
    .addOption(
      new Option('--log-level <level>', 'function log level (logs go to stdout)')
        .choices(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'])
        .default('SILENT'),
    )
    .option('--json', 'print the stack description as JSON')
    .action((o: StackUpOptions) => stackUp(io, o));
}
