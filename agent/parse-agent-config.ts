import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hostSchema } from '../src/contracts/primitives.js';
import type { AgentConfig } from './create-agent.js';
import { assertIp, assertNetnsName, MAX_IFNAME } from './kernel-values.js';

export interface AgentCliOptions {
  readonly config: AgentConfig;
  /** Run iproute2 inside this namespace (`ip netns exec NS`); unset: the agent's own namespace. */
  readonly netns: string | undefined;
  readonly transport: TransportOptions;
}

export type TransportOptions =
  | { readonly kind: 'stdio' }
  | {
      readonly kind: 'sqs';
      readonly commandQueueUrl: string;
      readonly eventQueueUrl: string;
      /** A local SQS server (fauxqs); unset: AWS, with the SDK's default credential chain. */
      readonly endpoint: string | undefined;
      readonly region: string;
    };

export const AGENT_USAGE = `usage: tsx agent/main.ts --host NAME --tunnel-ip IP [options]
  --learning on|off       vxlan MAC learning (default on)
  --arp off|proxy         kernel ARP suppression on the vxlan device (default off)
  --bridge-prefix PREFIX  enslave vx-<vni> to the Linux bridge PREFIX<vni> (default: no bridge)
  --dstport N             VXLAN UDP port (default 4789)
  --mtu N                 vxlan device MTU (default 1450)
  --netns NAME            program the kernel inside this network namespace
  --transport stdio|sqs   stdio: commands as JSON lines on stdin, events on stdout (default)
  --command-queue-url URL   sqs: this agent's own FIFO command queue
  --event-queue-url URL     sqs: the agent-events queue
  --sqs-endpoint URL        sqs: a local SQS server instead of AWS
  --region NAME             sqs: AWS region (default us-east-1)
  --boot-id ID            default: a random UUID per start
  --resync-interval-ms N  minimum gap between two resync requests per network (default 2000)`;

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function choice<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new RangeError(`--${name} must be one of ${allowed.join('|')}`);
  return raw as T;
}

function url(name: string, raw: string | undefined): string {
  if (raw === undefined) throw new RangeError(`--${name} is required with --transport sqs`);
  const parsed = URL.canParse(raw) ? new URL(raw) : null;
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    throw new RangeError(`--${name} must be an http(s) URL`);
  return raw;
}

function parseTransport(values: Record<string, string | undefined>): TransportOptions {
  if (choice('transport', values.transport, ['stdio', 'sqs'] as const, 'stdio') === 'stdio')
    return { kind: 'stdio' };
  const region = values.region ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new RangeError('--region must be an AWS region name');
  return {
    kind: 'sqs',
    commandQueueUrl: url('command-queue-url', values['command-queue-url']),
    eventQueueUrl: url('event-queue-url', values['event-queue-url']),
    endpoint: values['sqs-endpoint'] === undefined ? undefined : url('sqs-endpoint', values['sqs-endpoint']),
    region,
  };
}

/** Parses and validates the command line; throws a RangeError naming the bad option. */
export function parseAgentConfig(argv: readonly string[]): AgentCliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: 'string' },
      'tunnel-ip': { type: 'string' },
      learning: { type: 'string' },
      arp: { type: 'string' },
      'bridge-prefix': { type: 'string' },
      dstport: { type: 'string' },
      mtu: { type: 'string' },
      netns: { type: 'string' },
      transport: { type: 'string' },
      'command-queue-url': { type: 'string' },
      'event-queue-url': { type: 'string' },
      'sqs-endpoint': { type: 'string' },
      region: { type: 'string' },
      'boot-id': { type: 'string' },
      'resync-interval-ms': { type: 'string' },
    },
  });
  const host = hostSchema.safeParse(values.host);
  if (!host.success) throw new RangeError('--host must be a host name');
  if (values['tunnel-ip'] === undefined) throw new RangeError('--tunnel-ip is required');
  const prefix = values['bridge-prefix'];
  // The longest VNI has 8 digits; the bridge name must stay within IFNAMSIZ.
  if (prefix !== undefined && !/^[a-z][a-z0-9-]*$/.test(prefix))
    throw new RangeError('--bridge-prefix must match ^[a-z][a-z0-9-]*$');
  if (prefix !== undefined && prefix.length + 8 > MAX_IFNAME)
    throw new RangeError(`--bridge-prefix must be at most ${MAX_IFNAME - 8} characters`);
  const bootId = values['boot-id'] ?? randomUUID();
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(bootId)) throw new RangeError('--boot-id must be an id');
  return {
    netns: values.netns === undefined ? undefined : assertNetnsName(values.netns),
    transport: parseTransport(values),
    config: {
      host: host.data,
      tunnelIp: assertIp(values['tunnel-ip']),
      learning: choice('learning', values.learning, ['on', 'off'] as const, 'on') === 'on',
      proxy: choice('arp', values.arp, ['off', 'proxy'] as const, 'off') === 'proxy',
      bridgePrefix: prefix ?? null,
      dstport: int('dstport', values.dstport, 4789, 1, 65_535),
      mtu: int('mtu', values.mtu, 1450, 68, 65_535),
      agentType: 'reference-vxlan-agent',
      bootId,
      resyncIntervalMs: int('resync-interval-ms', values['resync-interval-ms'], 2000, 0, 3_600_000),
    },
  };
}
