import type { z } from 'zod';
import { InvalidInputError, type RejectionCode } from '../core/errors.js';
import { isKnownDeviceOwner } from '../core/owners.js';
import type { Agent, Network, Port } from '../core/types.js';
import {
  type AgentEvent,
  type AgentReportEvent,
  agentEventSchema,
  type HaEvent,
  haEventSchema,
  type InboundEvent,
  inboundEventSchema,
  type PortEvent,
  type PortQueueEvent,
  portEventSchema,
  portQueueEventSchema,
} from './events.js';
import { LIMITS } from './primitives.js';

const KNOWN_TYPES = new Set([
  'port.upsert',
  'port.delete',
  'ha.state',
  'ha.schedule',
  'flags.set',
  'agent.report',
  'agent.resync',
  'agent.applied',
  'agent.audit',
  'vip.claim',
  'network.rebuild',
]);

function codeOf(issues: readonly z.core.$ZodIssue[]): RejectionCode {
  for (const issue of issues) {
    if (issue.message.startsWith('invalid_mac')) return 'invalid_mac';
    if (issue.message.startsWith('invalid_ip')) return 'invalid_ip';
    if (issue.message.startsWith('invalid_segment')) return 'invalid_segment';
    if (issue.message.startsWith('invalid_aap')) return 'invalid_aap';
    if (issue.message.startsWith('duplicate_ip')) return 'duplicate_ip';
    if (
      issue.code === 'too_big' &&
      (issue.path.includes('ips') || issue.path.includes('allowedAddressPairs'))
    )
      return 'limit_exceeded';
  }
  return 'invalid_message';
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Parses one raw message body into a typed event, or throws an InvalidInputError whose code and
 * message say exactly what is wrong. Never `JSON.parse(x) as T` (style.md §9).
 */
function parseWith<T>(schema: z.ZodType<T>, body: string): T {
  if (Buffer.byteLength(body, 'utf8') > LIMITS.maxEventBytes) {
    throw new InvalidInputError(
      'oversized',
      `message is ${Buffer.byteLength(body, 'utf8')} bytes; the limit is ${LIMITS.maxEventBytes}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new InvalidInputError('malformed_json', `body is not JSON: ${(err as Error).message}`, {}, err);
  }
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    throw new InvalidInputError('unknown_event_type', `unknown event type ${JSON.stringify(type)}`, { type });
  }
  const v = (raw as { v?: unknown }).v;
  if (v !== 1)
    throw new InvalidInputError(
      'unsupported_version',
      `event ${type} version ${JSON.stringify(v)} is not supported (expected 1)`,
      { type, v },
    );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(
      codeOf(parsed.error.issues),
      `invalid ${type}: ${describe(parsed.error.issues)}`,
      { type },
      parsed.error,
    );
  }
  const event = parsed.data as InboundEvent;
  if (event.type === 'port.upsert') checkPortSemantics(event.port, event.network);
  return parsed.data;
}

function checkPortSemantics(
  port: { id: string; networkId: string; deviceOwner: string },
  network: { id: string },
): void {
  if (!isKnownDeviceOwner(port.deviceOwner)) {
    throw new InvalidInputError(
      'unknown_device_owner',
      `port ${port.id}: unknown device owner ${JSON.stringify(port.deviceOwner)}`,
      {
        portId: port.id,
      },
    );
  }
  if (port.networkId !== network.id) {
    throw new InvalidInputError(
      'invalid_message',
      `port ${port.id} names network ${port.networkId} but the event carries ${network.id}`,
    );
  }
}

export function parseInboundEvent(body: string): InboundEvent {
  return parseWith(inboundEventSchema, body);
}
export function parsePortEvent(body: string): PortEvent {
  return parseWith(portEventSchema, body);
}
/** What the port-events function takes: port events and `network.rebuild`. */
export function parsePortQueueEvent(body: string): PortQueueEvent {
  return parseWith(portQueueEventSchema, body);
}
export function parseHaEvent(body: string): HaEvent {
  return parseWith(haEventSchema, body);
}
export function parseAgentEvent(body: string): AgentEvent {
  return parseWith(agentEventSchema, body);
}

/** Maps parsed contracts onto core types (the core never sees zod). */
export function toNetwork(n: {
  id: string;
  name?: string | undefined;
  networkType: string;
  segmentId: number;
}): Network {
  return { id: n.id, name: n.name ?? n.id, networkType: n.networkType, segmentId: n.segmentId };
}

/**
 * The core port: an absent or empty pair list is left out (so ports without pairs are stored as
 * before), and each pair's MAC defaults to the port's own, as Neutron stores it.
 */
export function toPort(p: PortEvent & { type: 'port.upsert' }): Port {
  const { allowedAddressPairs: pairs, ...port } = p.port;
  if (!pairs?.length) return port;
  return {
    ...port,
    allowedAddressPairs: pairs.map((a) => ({ ipAddress: a.ipAddress, macAddress: a.macAddress ?? port.mac })),
  };
}

export function toAgent(e: AgentReportEvent): Agent {
  return {
    host: e.host,
    tunnelIp: e.tunnelIp,
    agentType: e.agentType,
    networkTypes: [...e.networkTypes],
    capabilities: { ...e.capabilities },
    bootId: e.bootId,
    revision: e.revision,
  };
}
