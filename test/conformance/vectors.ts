import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The conformance vectors in `./cases/` (S01-S45): Neutron 21's own l2pop and HA-binding unit tests
 * restated as data (`cases/README.md` gives the conventions and the upstream test of each). Only
 * the fields the tests use are typed; the rest pass through.
 */
export const CONFORMANCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'cases');

const entrySchema = z.union([z.literal('FLOOD'), z.tuple([z.string(), z.string()])]);
/** `"FLOOD"` or `[mac, ip]`, as the vectors write them. */
export type VectorEntry = z.infer<typeof entrySchema>;

const portsSchema = z.record(z.string(), z.array(entrySchema));
const chgSchema = z.object({
  chg_ip: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        before: z.array(entrySchema).optional(),
        after: z.array(entrySchema).optional(),
      }),
    ),
  ),
});

export const messageSchema = z.discriminatedUnion('method', [
  z.object({
    to: z.string(),
    method: z.literal('add_fdb_entries'),
    fdb: z.record(
      z.string(),
      z.object({ segment_id: z.number(), network_type: z.string(), ports: portsSchema }),
    ),
  }),
  z.object({
    to: z.string(),
    method: z.literal('remove_fdb_entries'),
    fdb: z.record(
      z.string(),
      z.object({ segment_id: z.number(), network_type: z.string(), ports: portsSchema }),
    ),
  }),
  z.object({ to: z.string(), method: z.literal('update_fdb_entries'), fdb: chgSchema }),
]);
/** One l2pop message Neutron sends for an event; `to` is `fanout` or a host. */
export type VectorMessage = z.infer<typeof messageSchema>;

export const eventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('device_up'),
    host: z.string(),
    port: z.string(),
    refresh_tunnels: z.boolean().optional(),
  }),
  z.object({ type: z.literal('device_down'), host: z.string(), port: z.string() }),
  z.object({ type: z.literal('set_status'), port: z.string(), status: z.enum(['ACTIVE', 'DOWN']) }),
  z.object({
    type: z.literal('update_port'),
    port: z.string(),
    set: z.object({
      binding_host: z.string().optional(),
      mac: z.string().optional(),
      ips: z.array(z.string()).optional(),
      status: z.string().optional(),
    }),
  }),
  z.object({ type: z.literal('delete_port'), port: z.string() }),
  z.object({ type: z.literal('router_interface_remove'), router: z.string(), port: z.string() }),
  z.object({
    type: z.literal('ha_state_report'),
    host: z.string(),
    states: z.record(z.string(), z.enum(['active', 'standby'])),
    port_update_raises: z.string().optional(),
  }),
  z.object({ type: z.literal('router_sync'), host: z.string() }),
]);
export type VectorEvent = z.infer<typeof eventSchema>;

export const vectorAgentSchema = z.object({
  host: z.string(),
  tunnel_ip: z.string(),
  type: z.string(),
  tunnel_types: z.array(z.string()),
  l2pop_network_types: z.array(z.string()).optional(),
});
export type VectorAgent = z.infer<typeof vectorAgentSchema>;

export const vectorNetworkSchema = z.object({
  id: z.string(),
  network_type: z.string(),
  segment_id: z.number(),
  physical_network: z.string().optional(),
});
export type VectorNetwork = z.infer<typeof vectorNetworkSchema>;

export const vectorPortSchema = z.object({
  id: z.string(),
  net: z.string().optional(),
  owner: z.string().optional(),
  device_id: z.string().optional(),
  host: z.string().nullable().optional(),
  status: z.enum(['ACTIVE', 'DOWN']).optional(),
  mac: z.string().optional(),
  ips: z.array(z.string()).optional(),
  reported_up_by: z.array(z.string()).optional(),
  distributed_bindings: z.array(z.string()).optional(),
});
export type VectorPort = z.infer<typeof vectorPortSchema>;

const routerSchema = z.object({
  id: z.string(),
  scheduled: z.record(z.string(), z.enum(['active', 'standby'])).optional(),
  distributed: z.boolean().optional(),
  ha: z.boolean().optional(),
});

export const setupSchema = z.object({
  agents: z.union([z.literal('@STD'), z.array(vectorAgentSchema)]).optional(),
  networks: z.array(z.union([z.string(), z.object({ id: z.string(), cidr: z.string() })])).optional(),
  l3_agents: z.array(z.string()).optional(),
  ha_routers: z.array(routerSchema).optional(),
  routers: z.array(routerSchema).optional(),
  ports: z.array(vectorPortSchema).optional(),
  same_as: z.string().optional(),
});
export type VectorSetup = z.infer<typeof setupSchema>;

/** A vector that gives a setup, one or more events, and the messages Neutron sends for each. */
export const eventVectorSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  setup: setupSchema,
  event: eventSchema.optional(),
  expected: z.array(messageSchema).optional(),
  expected_error: z.string().optional(),
  steps: z
    .array(z.object({ event: eventSchema, expected: z.array(messageSchema).optional() }).passthrough())
    .optional(),
  checked: z.string().optional(),
  note: z.string().optional(),
});
export type EventVector = z.infer<typeof eventVectorSchema>;

const fixturesSchema = z.object({
  STD: z.array(vectorAgentSchema),
  NETS: z.array(vectorNetworkSchema),
});
export type Fixtures = z.infer<typeof fixturesSchema>;

export function loadFixtures(dir = CONFORMANCE_DIR): Fixtures {
  return fixturesSchema.parse(JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8')));
}

/** Every vector file, by id (`S01`...), as raw JSON: each test parses the shape it needs. */
export function loadRawVectors(dir = CONFORMANCE_DIR): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of readdirSync(dir)
    .filter((f) => /^S\d\d-.*\.json$/.test(f))
    .sort()) {
    const raw = z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    out.set(z.string().parse(raw.id), raw);
  }
  return out;
}

/** Every vector that has a setup and events (S01-S32, S39-S41, S43), by id. */
export function loadEventVectors(raw = loadRawVectors()): Map<string, EventVector> {
  const out = new Map<string, EventVector>();
  for (const [id, v] of raw) {
    const parsed = eventVectorSchema.safeParse(v);
    if (parsed.success) out.set(id, parsed.data);
  }
  return out;
}

/** The events of a vector with the messages Neutron sends for each (one event or `steps`). */
export function eventsOf(v: EventVector): { event: VectorEvent; expected: VectorMessage[] }[] {
  if (v.event) return [{ event: v.event, expected: v.expected ?? [] }];
  return (v.steps ?? []).map((s) => ({ event: s.event, expected: s.expected ?? [] }));
}
