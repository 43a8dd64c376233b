import { z } from 'zod';
import { SNAPSHOT_ENTRIES_PER_PART } from '../core/commands.js';
import {
  aapSchema,
  hostIpSchema,
  idSchema,
  ipSchema,
  LIMITS,
  macSchema,
  networkTypeSchema,
} from './primitives.js';

const floodOrUnicast = z
  .tuple([z.string(), z.string()])
  .refine(
    ([mac, ip]) =>
      (mac === '00:00:00:00:00:00' && ip === '0.0.0.0') ||
      (macSchema.safeParse(mac).success && ipSchema.safeParse(ip).success),
    'entry must be the flooding entry or a valid [mac, ip]',
  );

const fdbEntriesSchema = z.record(
  idSchema,
  z.object({
    segment_id: z.number().int().nonnegative(),
    network_type: networkTypeSchema,
    ports: z.record(ipSchema, z.array(floodOrUnicast)),
  }),
);

const chgIpSchema = z.object({
  chg_ip: z.record(
    idSchema,
    z.record(
      ipSchema,
      z.object({ before: z.array(floodOrUnicast).optional(), after: z.array(floodOrUnicast).optional() }),
    ),
  ),
});

export const neutronPayloadSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('add_fdb_entries'), fdb_entries: fdbEntriesSchema }),
  z.object({ method: z.literal('remove_fdb_entries'), fdb_entries: fdbEntriesSchema }),
  z.object({ method: z.literal('update_fdb_entries'), fdb_entries: chgIpSchema }),
]);

/**
 * Records in one command's `localPorts`: a part or a delta holds at most SNAPSHOT_ENTRIES_PER_PART
 * entries' worth (`localPortWeight`, src/core/local-ports.ts), and a record weighs at least 2; a
 * removal weighs 1. A larger change is sent as a snapshot in parts (`oversizedDeltaHosts`).
 */
export const MAX_LOCAL_PORTS = SNAPSHOT_ENTRIES_PER_PART / 2;

/**
 * A port bound to the receiving agent's host, as the port fact holds it: canonical MAC and fixed
 * IPs, canonical pairs with their MAC filled in (the port's own when the event named none).
 */
export const localPortSchema = z.strictObject({
  id: idSchema,
  mac: macSchema,
  ips: z.array(hostIpSchema).max(LIMITS.maxIpsPerPort),
  allowedAddressPairs: z
    .array(aapSchema.extend({ macAddress: macSchema }))
    .max(LIMITS.maxAllowedAddressPairs),
});

const localPortsDeltaSchema = z.strictObject({
  upsert: z.array(localPortSchema).max(MAX_LOCAL_PORTS),
  remove: z.array(idSchema).max(SNAPSHOT_ENTRIES_PER_PART),
});

const segmentSchema = z.object({ networkType: networkTypeSchema, segmentId: z.number().int().nonnegative() });

/**
 * Outbound agent commands: a versioned envelope around Neutron's own payloads.
 * - `delta`: apply `payloads` in order if you hold `base`; a different base is a gap (ask for a snapshot);
 * - `snapshot`: make your table for the network equal to `fdb_entries` (the add shape), removing extras.
 *   Large snapshots come in `part.count` parts; apply once all parts of `version` arrived;
 * - `leave`: drop the network.
 * Versions are per network and grow by one per committed batch; an agent ignores anything not newer
 * than what it holds.
 *
 * `localPorts`, outside Neutron's payloads (so they stay Neutron's shapes): the ports bound to the
 * receiving agent's host (docs/vip.md, "The agent's claim watcher"). A delta's are that version's
 * changes (`upsert` records, `remove` port ids); a snapshot's parts each carry a share and the
 * union is the whole list. Absent: no change (delta), none in this part (snapshot).
 */
export const agentCommandSchema = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(1),
    kind: z.literal('delta'),
    networkId: idSchema,
    version: z.number().int().positive(),
    base: z.number().int().nonnegative(),
    segment: segmentSchema,
    payloads: z.array(neutronPayloadSchema).max(3),
    localPorts: localPortsDeltaSchema.optional(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('snapshot'),
    networkId: idSchema,
    version: z.number().int().positive(),
    segment: segmentSchema,
    part: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
    fdb_entries: fdbEntriesSchema,
    localPorts: z.array(localPortSchema).max(MAX_LOCAL_PORTS).optional(),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('leave'),
    networkId: idSchema,
    version: z.number().int().positive(),
  }),
]);

export type AgentCommand = z.infer<typeof agentCommandSchema>;
export type DeltaCommand = Extract<AgentCommand, { kind: 'delta' }>;
export type SnapshotCommand = Extract<AgentCommand, { kind: 'snapshot' }>;
export type LeaveCommand = Extract<AgentCommand, { kind: 'leave' }>;
export type LocalPortRecord = z.infer<typeof localPortSchema>;

export function parseAgentCommand(body: string): AgentCommand {
  return agentCommandSchema.parse(JSON.parse(body));
}
