/**
 * Renders docs/contract/ from the zod contracts and the catalogue: one JSON Schema (draft-07, the
 * schema dialect AsyncAPI's default schema format extends) per message and per union, and the
 * AsyncAPI 3 document whose messages reference them. The queue names and settings come from
 * infra/resources.yml and serverless.yml themselves, so the document cannot drift from what is deployed.
 * Pure: returns file contents; scripts/contract/write.ts writes them, the drift test compares them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { AGENT_QUEUE_ATTRIBUTES } from '../../src/adapters/aws/agent-queues.js';
import { agentCommandSchema } from '../../src/contracts/commands.js';
import { inboundEventSchema } from '../../src/contracts/events.js';
import { COMMAND_MESSAGES, INBOUND_CHANNELS, INBOUND_MESSAGES } from './catalog.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the contract lives, relative to the repository root. */
export const CONTRACT_DIR = 'docs/contract';
export const INTEGRATION_DOC = 'docs/integration.md';
export const REGENERATE = 'npm run contract';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, id: string, title: string, description: string): string {
  const generated = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Json;
  const { $schema, ...rest } = generated;
  const doc = { $schema, $id: id, title, description, ...rest };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const schemaFile = (name: string) => `schemas/${name}.v1.json`;
const inboundFile = (type: string) => schemaFile(type);
const commandFile = (kind: string) => schemaFile(`agent-command.${kind}`);

function renderSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of INBOUND_MESSAGES)
    files.set(inboundFile(m.type), jsonSchema(m.schema, inboundFile(m.type), m.type, m.summary));
  for (const c of COMMAND_MESSAGES)
    files.set(
      commandFile(c.kind),
      jsonSchema(c.schema, commandFile(c.kind), `agent command: ${c.kind}`, c.summary),
    );
  files.set(
    schemaFile('inbound-event'),
    jsonSchema(
      inboundEventSchema,
      schemaFile('inbound-event'),
      'inbound event',
      'Any inbound event, discriminated by `type`.',
    ),
  );
  files.set(
    schemaFile('agent-command'),
    jsonSchema(
      agentCommandSchema,
      schemaFile('agent-command'),
      'agent command',
      'Any command on an agent queue, discriminated by `kind`.',
    ),
  );
  return files;
}

interface QueueResource {
  Properties: {
    QueueName?: { 'Fn::Join'?: [string, unknown[]] };
    VisibilityTimeout?: number;
    MessageRetentionPeriod?: number;
    DeduplicationScope?: string;
    FifoThroughputLimit?: string;
    ContentBasedDeduplication?: boolean;
    RedrivePolicy?: { maxReceiveCount: number; deadLetterTargetArn?: { 'Fn::GetAtt'?: [string, string] } };
  };
}

function readQueues(): Record<string, QueueResource> {
  const doc = parse(readFileSync(path.join(ROOT, 'infra/resources.yml'), 'utf8')) as {
    Resources: Record<string, QueueResource>;
  };
  return doc.Resources;
}

/** `<stack>-port-events.fifo` as `{stack}-port-events.fifo`, from the queue's Fn::Join. */
function queueAddress(id: string, resources: Record<string, QueueResource>): string {
  const parts = resources[id]?.Properties.QueueName?.['Fn::Join']?.[1];
  const suffix = parts?.at(-1);
  if (typeof suffix !== 'string') throw new Error(`infra/resources.yml: no QueueName of ${id}`);
  return `{stack}${suffix}`;
}

/** `-agent-cmd-`: the agent queue prefix after the stack name (serverless.yml, L2POP_AGENT_QUEUE_PREFIX). */
function readAgentQueuePrefix(): string {
  const doc = parse(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as {
    provider: { environment: Record<string, { 'Fn::Join'?: [string, unknown[]] }> };
  };
  const suffix = doc.provider.environment.L2POP_AGENT_QUEUE_PREFIX?.['Fn::Join']?.[1].at(-1);
  if (typeof suffix !== 'string') throw new Error('serverless.yml: no L2POP_AGENT_QUEUE_PREFIX');
  return suffix;
}

/** The AsyncAPI SQS channel binding (bindings/sqs 0.2.0) of an inbound queue and its DLQ. */
function inboundBinding(id: string, resources: Record<string, QueueResource>): Json {
  const q = resources[id]?.Properties;
  if (!q) throw new Error(`infra/resources.yml has no ${id}`);
  const dlqId = q.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
  const dlqName = dlqId ? queueAddress(dlqId, resources) : null;
  return {
    sqs: {
      bindingVersion: '0.2.0',
      queue: {
        name: queueAddress(id, resources),
        fifoQueue: true,
        ...(q.DeduplicationScope ? { deduplicationScope: q.DeduplicationScope } : {}),
        ...(q.FifoThroughputLimit ? { fifoThroughputLimit: q.FifoThroughputLimit } : {}),
        ...(q.VisibilityTimeout ? { visibilityTimeout: q.VisibilityTimeout } : {}),
        ...(q.MessageRetentionPeriod ? { messageRetentionPeriod: q.MessageRetentionPeriod } : {}),
        ...(q.RedrivePolicy && dlqName
          ? {
              redrivePolicy: {
                deadLetterQueue: { name: dlqName },
                maxReceiveCount: q.RedrivePolicy.maxReceiveCount,
              },
            }
          : {}),
      },
      ...(dlqName ? { deadLetterQueue: { name: dlqName, fifoQueue: true } } : {}),
    },
  };
}

const fifoNote = (group: string, dedup: string) =>
  `FIFO MessageGroupId: \`${group}\`. MessageDeduplicationId: ${dedup}`;

function renderAsyncApi(version: string): string {
  const resources = readQueues();
  const messages: Json = {};
  for (const m of INBOUND_MESSAGES)
    messages[m.key] = {
      name: m.type,
      title: m.title,
      summary: m.summary,
      description: `${fifoNote(m.group, m.deduplication)}\n\nWhat to send and what the controller does with it: docs/integration.md.`,
      contentType: 'application/json',
      payload: { $ref: `./${inboundFile(m.type)}` },
      'x-fifo': { messageGroupId: m.group, messageDeduplicationId: m.deduplication },
      examples: [{ name: m.key, payload: m.example }],
    };
  const commandGroup = 'networkId';
  const commandDedup =
    'the SHA-256 of (network id, outbox key, host, part) (src/adapters/aws/sqs-command-publisher.ts): a re-send of the same outbox record within 5 minutes is dropped by SQS, a later one is ignored by the version rule.';
  for (const c of COMMAND_MESSAGES)
    messages[c.key] = {
      name: c.kind,
      title: c.title,
      summary: c.summary,
      description: `${fifoNote(commandGroup, commandDedup)}\n\nVersion and base rules, and how a Neutron agent applies it: docs/integration.md.`,
      contentType: 'application/json',
      payload: { $ref: `./${commandFile(c.kind)}` },
      'x-fifo': { messageGroupId: commandGroup, messageDeduplicationId: commandDedup },
      examples: [{ name: c.key, payload: c.example }],
    };

  const channels: Json = {};
  const operations: Json = {};
  for (const q of INBOUND_CHANNELS) {
    const own = INBOUND_MESSAGES.filter((m) => m.queue === q.id);
    channels[q.channel] = {
      address: queueAddress(q.id, resources),
      title: q.id,
      description: `${q.description} Messages: ${own.map((m) => `\`${m.type}\` (group \`${m.group}\`)`).join(', ')}.`,
      parameters: { stack: { $ref: '#/components/parameters/stack' } },
      messages: Object.fromEntries(own.map((m) => [m.key, { $ref: `#/components/messages/${m.key}` }])),
      bindings: inboundBinding(q.id, resources),
    };
    operations[`receive${q.channel[0]?.toUpperCase()}${q.channel.slice(1)}`] = {
      action: 'receive',
      title: `The ${q.channel.replace(/Events$/, '')}-events function`,
      summary: `Lambda (event source mapping) on ${q.id}; a terminal rejection is logged and acknowledged, anything else is retried and, after maxReceiveCount deliveries, moved to the DLQ.`,
      channel: { $ref: `#/channels/${q.channel}` },
      messages: own.map((m) => ({ $ref: `#/channels/${q.channel}/messages/${m.key}` })),
    };
  }
  const agentAddress = `{stack}${readAgentQueuePrefix()}{host}.fifo`;
  channels.agentCommands = {
    address: agentAddress,
    title: 'Agent command queue',
    description:
      "One FIFO queue per agent host, created on the agent's first report (or the first command for it). Commands are grouped per network (MessageGroupId = network id), so one network's commands arrive in order and networks do not wait for each other.",
    parameters: {
      stack: { $ref: '#/components/parameters/stack' },
      host: {
        description:
          "The agent's host with every character outside `[A-Za-z0-9_-]` turned into `_`; a name past 80 characters keeps a prefix of the host and a 12-digit hash of all of it (src/adapters/aws/agent-queues.ts). Ask SQS (GetQueueUrl) rather than building the URL.",
      },
    },
    messages: Object.fromEntries(
      COMMAND_MESSAGES.map((c) => [c.key, { $ref: `#/components/messages/${c.key}` }]),
    ),
    bindings: {
      sqs: {
        bindingVersion: '0.2.0',
        queue: {
          name: agentAddress,
          fifoQueue: AGENT_QUEUE_ATTRIBUTES.FifoQueue === 'true',
          visibilityTimeout: Number(AGENT_QUEUE_ATTRIBUTES.VisibilityTimeout),
          messageRetentionPeriod: Number(AGENT_QUEUE_ATTRIBUTES.MessageRetentionPeriod),
        },
      },
    },
  };
  operations.sendAgentCommands = {
    action: 'send',
    title: "Commands to an agent's queue",
    summary:
      'Published from the network outbox after each committed batch (and by the outbox sweeper for a batch left pending).',
    channel: { $ref: '#/channels/agentCommands' },
    messages: COMMAND_MESSAGES.map((c) => ({ $ref: `#/channels/agentCommands/messages/${c.key}` })),
  };

  const doc = {
    asyncapi: '3.0.0',
    info: {
      title: 'l2pop-controller',
      version,
      description:
        "The contract of the serverless L2 population controller: the inbound events it consumes from three SQS FIFO queues and the versioned commands it sends to each agent's own FIFO queue. Payload schemas are generated from the zod contracts in src/contracts/ (docs/contract/schemas/). How to integrate: docs/integration.md.",
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      aws: {
        host: 'sqs.{region}.amazonaws.com',
        protocol: 'sqs',
        description: 'The SQS endpoint of the region the stack is deployed in.',
        variables: { region: { default: 'us-east-1' } },
      },
    },
    channels,
    operations,
    components: {
      parameters: {
        stack: {
          description: 'The CloudFormation stack name, `<service>-<stage>` (serverless.yml: `l2pop-dev`).',
          default: 'l2pop-dev',
        },
      },
      messages,
    },
  };
  const header = `# Generated by \`${REGENERATE}\` from src/contracts/, scripts/contract/catalog.ts, infra/resources.yml and serverless.yml.\n# Do not edit: edit those and regenerate (test/contract/contract-docs.test.ts fails on drift).\n`;
  return header + stringify(doc, { lineWidth: 0 });
}

/** Every file under docs/contract/, by path relative to it. */
export function renderContract(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const files = renderSchemas();
  files.set('asyncapi.yaml', renderAsyncApi(pkg.version));
  return files;
}
