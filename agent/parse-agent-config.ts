import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hostSchema } from '../src/contracts/primitives.js';
import { absolutePath, choice, int, optionalUrl, parseRegion, url } from './cli-values.js';
import type { AgentConfig } from './create-agent.js';
import { assertIp, assertNetnsName, MAX_IFNAME } from './kernel-values.js';
import { DEFAULT_APPLIED_REPORT_MS, DEFAULT_AUDIT_MS, DEFAULT_HEARTBEAT_MS } from './run-agent.js';
import { readWatchedPorts, type WatchedPort } from './vip-claim-watcher.js';

export interface AgentCliOptions {
  readonly config: AgentConfig;
  /** Run iproute2 inside this namespace (`ip -n NS`, `bridge -n NS`); unset: the agent's own namespace. */
  readonly netns: string | undefined;
  readonly transport: TransportOptions;
  /** Milliseconds from an apply to the `agent.applied` report coalescing it with later ones. */
  readonly appliedReportMs: number;
  /** Milliseconds between two `agent.applied` reports of an idle agent (what keeps its queue). */
  readonly heartbeatMs: number;
  /** Milliseconds between two `agent.audit` readings of the kernel; 0: no audit. */
  readonly auditMs: number;
  /** `--vip-ports`: the local ports watched for VIP announcements (none: no claims are sent). */
  readonly vipPorts: readonly WatchedPort[];
}

export type TransportOptions =
  | { readonly kind: 'stdio' }
  | {
      readonly kind: 'sqs';
      readonly commandQueue: { readonly url: string } | { readonly name: string };
      readonly eventQueueUrl: string;
      /** A local SQS server (fauxqs); unset: AWS, with the SDK's default credential chain. */
      readonly endpoint: string | undefined;
      /** Reach the endpoint through this Unix socket (a namespace with no route to it). */
      readonly socketPath: string | undefined;
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
  --command-queue-name NAME sqs: the same by name, resolved once the controller created it
  --event-queue-url URL     sqs: the agent-events queue
  --sqs-endpoint URL        sqs: a local SQS server instead of AWS
  --sqs-socket PATH         sqs: connect to the endpoint through this Unix socket
  --region NAME             sqs: AWS region (default us-east-1)
  --boot-id ID            default: a random UUID per start
  --resync-interval-ms N  minimum gap between two resync requests per network (default 2000)
  --applied-report-ms N   report what it holds (agent.applied) this long after applying,
                          coalescing later applies into the same report (default 1000)
  --heartbeat-ms N        repeat that report this often when idle, so the controller keeps
                          this agent's queue (default 3600000, 1 h)
  --audit-ms N            send a digest of what the kernel holds (agent.audit) this often;
                          0 turns the drift audit off (default 60000)
  --vip-ports FILE        watch these local ports for gratuitous ARPs and unsolicited neighbour
                          advertisements (tcpdump) and send vip.claim events: a JSON array of
                          { dev, networkId, portId, mac?, ips?, allowedAddressPairs? }; the
                          port's MAC, IPs and pairs come from the controller, the file's only
                          stand in until they arrive (docs/vip.md)`;

/** `--audit-ms`: 0 (off) or at least a second, at most a day. */
function auditMs(value: string | undefined): number {
  if (value === '0') return 0;
  return int('audit-ms', value, DEFAULT_AUDIT_MS, 1000, 24 * 3_600_000);
}

/** An SQS queue name: 80 characters of letters, digits, `-` and `_`, with `.fifo` for FIFO queues. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$/;

function commandQueue(values: Record<string, string | undefined>): { url: string } | { name: string } {
  const name = values['command-queue-name'];
  if (name !== undefined && values['command-queue-url'] !== undefined)
    throw new RangeError('give --command-queue-url or --command-queue-name, not both');
  if (name === undefined) return { url: url('command-queue-url', values['command-queue-url']) };
  if (!QUEUE_NAME.test(name)) throw new RangeError('--command-queue-name must be an SQS queue name');
  return { name };
}

function parseTransport(values: Record<string, string | undefined>): TransportOptions {
  if (choice('transport', values.transport, ['stdio', 'sqs'] as const, 'stdio') === 'stdio')
    return { kind: 'stdio' };
  return {
    kind: 'sqs',
    commandQueue: commandQueue(values),
    eventQueueUrl: url('event-queue-url', values['event-queue-url']),
    endpoint: optionalUrl('sqs-endpoint', values['sqs-endpoint']),
    socketPath: absolutePath('sqs-socket', values['sqs-socket']),
    region: parseRegion(values.region),
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
      'command-queue-name': { type: 'string' },
      'event-queue-url': { type: 'string' },
      'sqs-endpoint': { type: 'string' },
      'sqs-socket': { type: 'string' },
      region: { type: 'string' },
      'boot-id': { type: 'string' },
      'resync-interval-ms': { type: 'string' },
      'applied-report-ms': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'audit-ms': { type: 'string' },
      'vip-ports': { type: 'string' },
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
    appliedReportMs: int(
      'applied-report-ms',
      values['applied-report-ms'],
      DEFAULT_APPLIED_REPORT_MS,
      100,
      3_600_000,
    ),
    heartbeatMs: int('heartbeat-ms', values['heartbeat-ms'], DEFAULT_HEARTBEAT_MS, 1000, 24 * 3_600_000),
    auditMs: auditMs(values['audit-ms']),
    vipPorts: values['vip-ports'] === undefined ? [] : readWatchedPorts(values['vip-ports']),
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
