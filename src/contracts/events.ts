import { z } from 'zod';
import { ARP_MODES, HA_STATES, PORT_STATUSES, STRATEGIES } from '../core/types.js';
import { VIP_CLAIM_KINDS } from '../core/vip.js';
import {
  aapSchema,
  hostIpSchema,
  hostSchema,
  idSchema,
  LIMITS,
  macSchema,
  networkTypeSchema,
  revisionSchema,
  segmentRangeReason,
} from './primitives.js';

export const networkSchema = z
  .object({
    id: idSchema,
    name: z.string().max(255).optional(),
    networkType: networkTypeSchema,
    segmentId: z.number().int().nonnegative().max(4_294_967_295),
  })
  .superRefine((n, ctx) => {
    const reason = segmentRangeReason(n.networkType, n.segmentId);
    if (reason) ctx.addIssue({ code: 'custom', path: ['segmentId'], message: `invalid_segment: ${reason}` });
  });

export const portSchema = z
  .object({
    id: idSchema,
    networkId: idSchema,
    mac: macSchema,
    ips: z.array(hostIpSchema).max(LIMITS.maxIpsPerPort),
    deviceOwner: z.string().max(255),
    deviceId: z.string().max(255),
    host: z.union([hostSchema, z.literal('')]),
    status: z.enum(PORT_STATUSES),
    dvrHosts: z.array(hostSchema).max(4096).default([]),
    revision: revisionSchema,
    /** Neutron's `allowed_address_pairs`; absent or empty: none (docs/vip.md). */
    allowedAddressPairs: z.array(aapSchema).max(LIMITS.maxAllowedAddressPairs).optional(),
  })
  .superRefine((p, ctx) => {
    // Neutron allocates each fixed IP once (IPAM stores them canonical), so a port never lists one
    // twice; such an event is refused rather than planned as two entries for one address.
    const seen = new Set<string>();
    for (const [i, ip] of p.ips.entries()) {
      if (seen.has(ip))
        ctx.addIssue({
          code: 'custom',
          path: ['ips', i],
          message: `duplicate_ip: fixed IP ${ip} is listed twice`,
        });
      seen.add(ip);
    }
  })
  .transform((p) => {
    // Neutron refuses a repeated (mac, ip) only as spelled (DuplicateAddressPairInRequest; its
    // unique key stores the strings as given, `AuthenticIPNetwork`/`AuthenticEUI`), so it holds
    // `10.0.0.5` beside `10.0.0.5/32`, or a MAC in two cases. Made canonical they are one pair:
    // kept once, so a port Neutron holds is never refused for it.
    if (!p.allowedAddressPairs) return p;
    const seen = new Set<string>();
    const pairs = p.allowedAddressPairs.filter((pair) => {
      const key = `${pair.macAddress ?? p.mac} ${pair.ipAddress}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return pairs.length === p.allowedAddressPairs.length ? p : { ...p, allowedAddressPairs: pairs };
  });

/** A port was created or changed (binding, status, IPs): the whole port at a revision. */
export const portUpsertV1 = z.object({
  type: z.literal('port.upsert'),
  v: z.literal(1),
  network: networkSchema,
  port: portSchema,
});

export const portDeleteV1 = z.object({
  type: z.literal('port.delete'),
  v: z.literal(1),
  portId: idSchema,
  networkId: idSchema,
  revision: revisionSchema,
});

/** An L3 agent's VRRP state for one router, ordered by (term, seq) or a timestamp in `seq`. */
export const haStateV1 = z.object({
  type: z.literal('ha.state'),
  v: z.literal(1),
  routerId: idSchema,
  host: hostSchema,
  state: z.enum(HA_STATES),
  term: z.number().int().nonnegative().default(0),
  seq: z.number().int().nonnegative(),
});

/** Where an HA router is scheduled; an empty list removes it. */
export const haScheduleV1 = z.object({
  type: z.literal('ha.schedule'),
  v: z.literal(1),
  routerId: idSchema,
  hosts: z.array(hostSchema).max(LIMITS.maxRouterHosts),
  revision: revisionSchema,
});

export const capabilitiesSchema = z.object({
  learning: z.boolean(),
  arp: z.enum(ARP_MODES),
});

/** An L2 agent's report: sent on start (new boot id) and whenever its configuration changes. */
export const agentReportV1 = z.object({
  type: z.literal('agent.report'),
  v: z.literal(1),
  host: hostSchema,
  tunnelIp: hostIpSchema.nullable(),
  agentType: z.string().min(1).max(64),
  networkTypes: z.array(networkTypeSchema).max(LIMITS.maxNetworkTypes),
  capabilities: capabilitiesSchema,
  bootId: idSchema,
  revision: revisionSchema,
});

/** An agent asks for snapshots: after a version gap, or on operator request. */
export const agentResyncV1 = z.object({
  type: z.literal('agent.resync'),
  v: z.literal(1),
  host: hostSchema,
  networkId: idSchema.optional(),
  reason: z.enum(['gap', 'boot', 'manual']).default('manual'),
});

/**
 * What an agent holds: per network, the version it last applied. Sent after the agent applies
 * commands (coalesced, at most one a second per agent) so operators can see who converged
 * (`l2pop status`, `l2pop flags set`). Not a fact: the controller plans nothing from it.
 */
export const agentAppliedV1 = z.object({
  type: z.literal('agent.applied'),
  v: z.literal(1),
  host: hostSchema,
  bootId: idSchema,
  networks: z
    .record(idSchema, z.number().int().nonnegative())
    .refine((n) => Object.keys(n).length <= LIMITS.maxAppliedNetworks, {
      message: `at most ${LIMITS.maxAppliedNetworks} networks per report`,
    }),
  /** When the agent applied the last of these (ms since the epoch, the agent's clock). */
  at: z.number().int().nonnegative(),
  /**
   * Since its last report, per (inbound event type, strategy) of the commands applied: the longest
   * time from the controller's inbound event being sent to this agent applying its command.
   */
  latencies: z
    .array(
      z.object({
        eventType: z.string().min(1).max(32),
        strategy: z.string().min(1).max(32),
        ms: z.number().int().nonnegative(),
      }),
    )
    .max(32)
    .default([]),
});

/** One network in an `agent.audit`: the version the agent believes it holds and the digest it read. */
export const auditNetworkSchema = z.object({
  networkId: idSchema,
  version: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  /** `computeViewDigest` (src/core/digest.ts): the hash sum, 16 lower-case hex digits. */
  sum: z.string().regex(/^[0-9a-f]{16}$/, 'sum must be 16 lower-case hex digits'),
  counts: z.object({
    flood: z.number().int().nonnegative().max(LIMITS.maxAuditEntries),
    unicast: z.number().int().nonnegative().max(LIMITS.maxAuditEntries),
    arp: z.number().int().nonnegative().max(LIMITS.maxAuditEntries),
  }),
});

/**
 * Drift audit (issue 17, docs/drift-audit.md): per network, the digest of what the agent's data
 * plane really holds, read at `readAt`. Sent periodically; one message carries every network the
 * agent holds (split when there are more than `LIMITS.maxAuditNetworks`).
 */
export const agentAuditV1 = z.object({
  type: z.literal('agent.audit'),
  v: z.literal(1),
  host: hostSchema,
  bootId: idSchema,
  /** When the agent read its data plane (ms since the epoch, the agent's clock). */
  readAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  networks: z
    .array(auditNetworkSchema)
    .max(LIMITS.maxAuditNetworks)
    .refine((n) => new Set(n.map((x) => x.networkId)).size === n.length, {
      message: 'a network appears twice in one audit',
    }),
});

export const flagSettingsSchema = z.object({
  defaultStrategy: z.enum(STRATEGIES),
  rollout: z.object({ percent: z.number().int().min(0).max(100), strategy: z.enum(STRATEGIES) }).nullable(),
  networks: z.record(idSchema, z.enum(STRATEGIES)),
  routers: z.record(idSchema, z.enum(STRATEGIES)),
  /** Per-port overrides of the strategy of the VIPs a port owns (docs/vip.md); absent: none. */
  ports: z.record(idSchema, z.enum(STRATEGIES)).optional(),
});

/** The operator changed the strategy flags; every affected network reconciles to the new views. */
export const flagsSetV1 = z.object({
  type: z.literal('flags.set'),
  v: z.literal(1),
  flags: flagSettingsSchema,
  revision: revisionSchema,
});

/**
 * A host saw one of its local ports announce a VIP. Ordered per VIP by (at, host, seq): `at` is the
 * agent's observation time in ms since the epoch from a clock that never steps back within a boot
 * (wall time at start plus monotonic time since), `seq` grows per host. docs/vip.md says why.
 */
export const vipClaimV1 = z
  .object({
    type: z.literal('vip.claim'),
    v: z.literal(1),
    host: hostSchema,
    networkId: idSchema,
    portId: idSchema,
    ip: hostIpSchema,
    mac: macSchema,
    kind: z.enum(VIP_CLAIM_KINDS),
    at: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  })
  .superRefine((c, ctx) => {
    if ((c.kind === 'garp') !== !c.ip.includes(':'))
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `a ${c.kind} cannot announce ${c.ip.includes(':') ? 'an IPv6' : 'an IPv4'} address`,
      });
  });

/**
 * An operator asks for one network's derived state to be rebuilt from its facts (`l2pop rebuild`,
 * docs/operations.md "Rebuilding a network"): sent on the port-events queue in the network's FIFO
 * group, so it is serialised with the network's port events. Records no fact.
 */
export const networkRebuildV1 = z.object({
  type: z.literal('network.rebuild'),
  v: z.literal(1),
  networkId: idSchema,
  /** Who asked (operator name or tool), for the log line; not interpreted. */
  requestedBy: z.string().max(255).optional(),
});

export const portEventSchema = z.discriminatedUnion('type', [portUpsertV1, portDeleteV1]);
/** What the port-events queue carries: the port events and the network rebuild. */
export const portQueueEventSchema = z.discriminatedUnion('type', [
  portUpsertV1,
  portDeleteV1,
  networkRebuildV1,
]);
export const haEventSchema = z.discriminatedUnion('type', [haStateV1, haScheduleV1, flagsSetV1]);
export const agentEventSchema = z.discriminatedUnion('type', [
  agentReportV1,
  agentResyncV1,
  agentAppliedV1,
  agentAuditV1,
  vipClaimV1,
]);
export const inboundEventSchema = z.discriminatedUnion('type', [
  portUpsertV1,
  portDeleteV1,
  haStateV1,
  haScheduleV1,
  flagsSetV1,
  agentReportV1,
  agentResyncV1,
  agentAppliedV1,
  agentAuditV1,
  vipClaimV1,
  networkRebuildV1,
]);

export type PortUpsertEvent = z.infer<typeof portUpsertV1>;
export type PortDeleteEvent = z.infer<typeof portDeleteV1>;
export type HaStateEvent = z.infer<typeof haStateV1>;
export type HaScheduleEvent = z.infer<typeof haScheduleV1>;
export type AgentReportEvent = z.infer<typeof agentReportV1>;
export type AgentResyncEvent = z.infer<typeof agentResyncV1>;
export type AgentAppliedEvent = z.infer<typeof agentAppliedV1>;
export type AgentAuditEvent = z.infer<typeof agentAuditV1>;
export type VipClaimEvent = z.infer<typeof vipClaimV1>;
export type FlagsSetEvent = z.infer<typeof flagsSetV1>;
export type NetworkRebuildEvent = z.infer<typeof networkRebuildV1>;
export type PortEvent = z.infer<typeof portEventSchema>;
export type PortQueueEvent = z.infer<typeof portQueueEventSchema>;
export type HaEvent = z.infer<typeof haEventSchema>;
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type InboundEvent = z.infer<typeof inboundEventSchema>;
