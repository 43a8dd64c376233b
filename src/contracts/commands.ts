import { z } from 'zod';
import { idSchema, ipSchema, macSchema, networkTypeSchema } from './primitives.js';

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

const segmentSchema = z.object({ networkType: networkTypeSchema, segmentId: z.number().int().nonnegative() });

/**
 * Outbound agent commands: a versioned envelope around Neutron's own payloads.
 * - `delta`: apply `payloads` in order if you hold `base`; a different base is a gap (ask for a snapshot);
 * - `snapshot`: make your table for the network equal to `fdb_entries` (the add shape), removing extras.
 *   Large snapshots come in `part.count` parts; apply once all parts of `version` arrived;
 * - `leave`: drop the network.
 * Versions are per network and grow by one per committed batch; an agent ignores anything not newer
 * than what it holds.
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
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('snapshot'),
    networkId: idSchema,
    version: z.number().int().positive(),
    segment: segmentSchema,
    part: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
    fdb_entries: fdbEntriesSchema,
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

export function parseAgentCommand(body: string): AgentCommand {
  return agentCommandSchema.parse(JSON.parse(body));
}
