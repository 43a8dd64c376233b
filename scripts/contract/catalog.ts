/**
 * The published contract, message by message: which zod schema each inbound event and agent
 * command comes from, which queue carries it, its FIFO message group and deduplication id, and one
 * example. `scripts/contract/render.ts` turns it into docs/contract/ (JSON Schema files and the
 * AsyncAPI document); test/contract/contract-docs.test.ts checks it covers every message of the
 * zod unions and that every example parses and routes as described.
 */
import type { z } from 'zod';
import type { InboundQueueId } from '../../src/adapters/aws/inbound-queues.js';
import {
  type AgentCommand,
  agentCommandSchema,
  type DeltaCommand,
  type LeaveCommand,
  type SnapshotCommand,
} from '../../src/contracts/commands.js';
import {
  type AgentAppliedEvent,
  type AgentAuditEvent,
  type AgentReportEvent,
  type AgentResyncEvent,
  agentAppliedV1,
  agentAuditV1,
  agentReportV1,
  agentResyncV1,
  type FlagsSetEvent,
  flagsSetV1,
  type HaScheduleEvent,
  type HaStateEvent,
  haScheduleV1,
  haStateV1,
  type InboundEvent,
  inboundEventSchema,
  type NetworkRebuildEvent,
  networkRebuildV1,
  type PortDeleteEvent,
  type PortUpsertEvent,
  portDeleteV1,
  portUpsertV1,
  type VipClaimEvent,
  vipClaimV1,
} from '../../src/contracts/events.js';

/** One inbound queue of infra/resources.yml, as the AsyncAPI document names it. */
export interface QueueEntry {
  readonly id: InboundQueueId;
  readonly channel: string;
  readonly description: string;
}

export const INBOUND_CHANNELS: readonly QueueEntry[] = [
  {
    id: 'PortEventsQueue',
    channel: 'portEvents',
    description:
      'Port facts from the Neutron server (ML2 mechanism driver or notification bridge). One FIFO message group per network: the controller reconciles a network from its events in order.',
  },
  {
    id: 'HaEventsQueue',
    channel: 'haEvents',
    description:
      'HA-router facts: VRRP state reports of the L3 agents and router scheduling, one FIFO group per router, and the strategy flags in the group `flags`.',
  },
  {
    id: 'AgentEventsQueue',
    channel: 'agentEvents',
    description: "L2 agents' reports and resync requests, one FIFO group per host (the agent's own order).",
  },
];

export interface InboundMessage<E extends InboundEvent = InboundEvent> {
  readonly type: E['type'];
  /** Key under components.messages and the JSON Schema file name. */
  readonly key: string;
  readonly schema: z.ZodType;
  readonly queue: InboundQueueId;
  readonly title: string;
  readonly summary: string;
  /** The MessageGroupId, as a path into the message (or a constant). */
  readonly group: string;
  readonly deduplication: string;
  readonly example: E;
}

const NET = {
  id: '3f1e0a52-6c7d-4f3e-9a1b-2c4d5e6f7a8b',
  name: 'tenant-a',
  networkType: 'vxlan',
  segmentId: 1001,
} as const;

const portUpsert: InboundMessage<PortUpsertEvent> = {
  type: 'port.upsert',
  key: 'portUpsert',
  schema: portUpsertV1,
  queue: 'PortEventsQueue',
  title: 'Port created or changed',
  summary: 'The whole port at a revision: binding host, status, MAC, IPs, owner.',
  group: 'port.networkId',
  deduplication:
    'Content-based (SHA-256 of the body) unless the sender sets one; the revision is in the body, so two revisions of a port are two messages.',
  example: {
    type: 'port.upsert',
    v: 1,
    network: NET,
    port: {
      id: 'a1b2c3d4-0001-4000-8000-000000000001',
      networkId: NET.id,
      mac: 'fa:16:3e:11:22:33',
      ips: ['10.0.0.5'],
      deviceOwner: 'compute:nova',
      deviceId: 'vm-1',
      host: 'compute-1',
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 3,
      allowedAddressPairs: [{ ipAddress: '10.0.0.100' }],
    },
  },
};

const portDelete: InboundMessage<PortDeleteEvent> = {
  type: 'port.delete',
  key: 'portDelete',
  schema: portDeleteV1,
  queue: 'PortEventsQueue',
  title: 'Port deleted',
  summary: 'The port is gone; its revision must be above the last upsert of the port.',
  group: 'networkId',
  deduplication: portUpsert.deduplication,
  example: {
    type: 'port.delete',
    v: 1,
    portId: 'a1b2c3d4-0001-4000-8000-000000000001',
    networkId: NET.id,
    revision: 4,
  },
};

const haState: InboundMessage<HaStateEvent> = {
  type: 'ha.state',
  key: 'haState',
  schema: haStateV1,
  queue: 'HaEventsQueue',
  title: 'VRRP state of an HA router on one host',
  summary: "An L3 agent's keepalived state for one router, ordered per (router, host) by (term, seq).",
  group: 'routerId',
  deduplication:
    'Content-based, or the SHA-256 of the body (agent/send-ha-state.ts): a hook that fires twice for one transition sends one fact.',
  example: {
    type: 'ha.state',
    v: 1,
    routerId: 'r-1',
    host: 'network-2',
    state: 'active',
    term: 0,
    seq: 1765000000123,
  },
};

const haSchedule: InboundMessage<HaScheduleEvent> = {
  type: 'ha.schedule',
  key: 'haSchedule',
  schema: haScheduleV1,
  queue: 'HaEventsQueue',
  title: 'Where an HA router is scheduled',
  summary: 'The hosts of the router; an empty list removes the router.',
  group: 'routerId',
  deduplication: portUpsert.deduplication,
  example: {
    type: 'ha.schedule',
    v: 1,
    routerId: 'r-1',
    hosts: ['network-1', 'network-2'],
    revision: 1,
  },
};

const flagsSet: InboundMessage<FlagsSetEvent> = {
  type: 'flags.set',
  key: 'flagsSet',
  schema: flagsSetV1,
  queue: 'HaEventsQueue',
  title: 'Strategy flags',
  summary: 'The operator changed the HA strategy flags (`l2pop flags set` sends it).',
  group: '"flags" (a constant: one group for every flag change)',
  deduplication: portUpsert.deduplication,
  example: {
    type: 'flags.set',
    v: 1,
    flags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: { 'r-1': 'master-binding' } },
    revision: 2,
  },
};

const agentReport: InboundMessage<AgentReportEvent> = {
  type: 'agent.report',
  key: 'agentReport',
  schema: agentReportV1,
  queue: 'AgentEventsQueue',
  title: 'L2 agent report',
  summary: 'Sent on start (a new boot id) and whenever the configuration changes.',
  group: 'host',
  deduplication:
    'Content-based, or a fresh id per send (agent/sqs-transport.ts): the revision in the body keeps two reports apart.',
  example: {
    type: 'agent.report',
    v: 1,
    host: 'compute-1',
    tunnelIp: '192.0.2.11',
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: false, arp: 'responder' },
    bootId: '6b0e2c2e-5d4f-4b7a-9f61-3c8f1d2e4a50',
    revision: 1,
  },
};

const agentResync: InboundMessage<AgentResyncEvent> = {
  type: 'agent.resync',
  key: 'agentResync',
  schema: agentResyncV1,
  queue: 'AgentEventsQueue',
  title: 'Snapshot request',
  summary: 'An agent asks for snapshots: after a version gap, or on operator request.',
  group: 'host',
  deduplication:
    'A fresh id per send (agent/sqs-transport.ts): two requests minutes apart are both meant; content-based deduplication would drop the second within 5 minutes.',
  example: {
    type: 'agent.resync',
    v: 1,
    host: 'compute-1',
    networkId: NET.id,
    reason: 'gap',
  },
};

const agentApplied: InboundMessage<AgentAppliedEvent> = {
  type: 'agent.applied',
  key: 'agentApplied',
  schema: agentAppliedV1,
  queue: 'AgentEventsQueue',
  title: 'What an agent holds',
  summary:
    'Sent by an agent after it applies commands (coalesced per interval): the version it holds per network. Read by `l2pop status` and `l2pop flags set`; the controller plans nothing from it.',
  group: 'host',
  deduplication:
    'A fresh id per send: two reports of the same versions minutes apart are both meant (the later apply time counts).',
  example: {
    type: 'agent.applied',
    v: 1,
    host: 'compute-1',
    bootId: '6b0e2c2e-5d4f-4b7a-9f61-3c8f1d2e4a50',
    networks: { [NET.id]: 7 },
    at: 1796601600000,
    latencies: [{ eventType: 'ha.state', strategy: 'master-binding', ms: 84 }],
  },
};

const agentAudit: InboundMessage<AgentAuditEvent> = {
  type: 'agent.audit',
  key: 'agentAudit',
  schema: agentAuditV1,
  queue: 'AgentEventsQueue',
  title: 'Digest of what an agent really forwards',
  summary:
    "Sent by an agent every audit period (drift audit, docs/drift-audit.md): per network, the version it believes it holds and the additive digest of the flooding, unicast FDB and ARP entries read from its data plane. Acknowledged without effect until the controller's comparison lands (issue 17).",
  group: 'host',
  deduplication: 'A fresh id per send: every period is a new reading of the data plane.',
  example: {
    type: 'agent.audit',
    v: 1,
    host: 'compute-1',
    bootId: '6b0e2c2e-5d4f-4b7a-9f61-3c8f1d2e4a50',
    readAt: 1796601600000,
    networks: [
      { networkId: NET.id, version: 7, sum: '3a0f9c41d2e8b675', counts: { flood: 2, unicast: 5, arp: 5 } },
    ],
  },
};

const vipClaim: InboundMessage<VipClaimEvent> = {
  type: 'vip.claim',
  key: 'vipClaim',
  schema: vipClaimV1,
  queue: 'AgentEventsQueue',
  title: 'VIP claim (not acted on yet)',
  summary:
    'A host saw a local port announce a VIP (gratuitous ARP or unsolicited neighbour advertisement). Ordered per VIP by (at, host, seq). Accepted only from a bound port with a covering allowed-address pair; the newest claim per VIP wins (docs/vip.md).',
  group: 'host',
  deduplication:
    'Content-based: a claim re-sent with the same (at, seq) is one message, and a duplicate that gets through is dropped by the ordering rule.',
  example: {
    type: 'vip.claim',
    v: 1,
    host: 'compute-1',
    networkId: NET.id,
    portId: 'a1b2c3d4-0001-4000-8000-000000000001',
    ip: '10.0.0.100',
    mac: 'fa:16:3e:11:22:33',
    kind: 'garp',
    at: 1796601600123,
    seq: 42,
  },
};

const networkRebuild: InboundMessage<NetworkRebuildEvent> = {
  type: 'network.rebuild',
  key: 'networkRebuild',
  schema: networkRebuildV1,
  queue: 'PortEventsQueue',
  title: 'Network rebuild (operator)',
  summary:
    "Rebuilds one network's derived state from its facts (`l2pop rebuild`): the overlap indexes of allowed-address pairs, the network record, the presence counts and the drift-audit sums, with a snapshot to every present agent at the next version; reports ports that already violate the overlap rule. Records no fact; serialised with the network's port events (docs/operations.md).",
  group: 'networkId',
  deduplication:
    'A random id per request (`l2pop rebuild`): a rebuild sent twice runs twice, and a second run is harmless (it finds nothing missing and sends the same snapshots at the next version).',
  example: {
    type: 'network.rebuild',
    v: 1,
    networkId: NET.id,
    requestedBy: 'operator',
  },
};

export const INBOUND_MESSAGES: readonly InboundMessage[] = [
  portUpsert,
  portDelete,
  haState,
  haSchedule,
  flagsSet,
  agentReport,
  agentResync,
  agentApplied,
  agentAudit,
  vipClaim,
  networkRebuild,
] as readonly InboundMessage[];

/** The member of the command union with this `kind` (found by value, not position). */
function commandSchema(kind: AgentCommand['kind']): z.ZodType {
  const found = agentCommandSchema.options.find((o) => o.shape.kind.value === kind);
  if (!found) throw new Error(`src/contracts/commands.ts has no command of kind ${kind}`);
  return found;
}

export interface CommandMessage<C extends AgentCommand = AgentCommand> {
  readonly kind: C['kind'];
  readonly key: string;
  readonly schema: z.ZodType;
  readonly title: string;
  readonly summary: string;
  readonly example: C;
}

const SEGMENT = { networkType: 'vxlan', segmentId: 1001 } as const;

const delta: CommandMessage<DeltaCommand> = {
  kind: 'delta',
  key: 'agentCommandDelta',
  schema: commandSchema('delta'),
  title: 'Delta',
  summary: 'Apply `payloads` in order if the network is held at exactly `base`; else ask for a snapshot.',
  example: {
    v: 1,
    kind: 'delta',
    networkId: NET.id,
    version: 5,
    base: 4,
    segment: SEGMENT,
    payloads: [
      {
        method: 'add_fdb_entries',
        fdb_entries: {
          [NET.id]: {
            segment_id: 1001,
            network_type: 'vxlan',
            ports: {
              '192.0.2.11': [
                ['00:00:00:00:00:00', '0.0.0.0'],
                ['fa:16:3e:11:22:33', '10.0.0.5'],
              ],
            },
          },
        },
      },
    ],
  },
};

const snapshot: CommandMessage<SnapshotCommand> = {
  kind: 'snapshot',
  key: 'agentCommandSnapshot',
  schema: commandSchema('snapshot'),
  title: 'Snapshot (or one part of it)',
  summary:
    "The agent's whole table for the network at `version`, in `part.count` parts; apply once every part of the version arrived.",
  example: {
    v: 1,
    kind: 'snapshot',
    networkId: NET.id,
    version: 5,
    segment: SEGMENT,
    part: { index: 0, count: 1 },
    fdb_entries: {
      [NET.id]: {
        segment_id: 1001,
        network_type: 'vxlan',
        ports: {
          '192.0.2.12': [
            ['00:00:00:00:00:00', '0.0.0.0'],
            ['fa:16:3e:44:55:66', '10.0.0.6'],
          ],
        },
      },
    },
  },
};

const leave: CommandMessage<LeaveCommand> = {
  kind: 'leave',
  key: 'agentCommandLeave',
  schema: commandSchema('leave'),
  title: 'Leave',
  summary: 'The host has no port left in the network: drop every entry of it.',
  example: { v: 1, kind: 'leave', networkId: NET.id, version: 6 },
};

export const COMMAND_MESSAGES: readonly CommandMessage[] = [
  delta,
  snapshot,
  leave,
] as readonly CommandMessage[];

/** The discriminators of the zod unions, for the drift test. */
export const UNION_TYPES = {
  inbound: inboundEventSchema.options.map((o) => o.shape.type.value),
  commands: agentCommandSchema.options.map((o) => o.shape.kind.value),
};
