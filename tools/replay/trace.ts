import { z } from 'zod';

/** The trace format of docs/trace-format.md (the Neutron oracle's input), every op included. */
const agentSchema = z.object({
  host: z.string(),
  tunnel_ip: z.string(),
  agent_type: z.string().default('Open vSwitch agent'),
  tunnel_types: z.array(z.string()).default(['vxlan', 'gre']),
  l2pop_network_types: z.array(z.string()).nullable().default(null),
  bridge_mappings: z.record(z.string(), z.string()).optional(),
  l3_agent: z.boolean().default(false),
  /** Project extension: the agent's capabilities, for `auto`. Defaults to Open vSwitch style. */
  capabilities: z.object({ learning: z.boolean(), arp: z.enum(['off', 'responder', 'proxy']) }).optional(),
});

const networkSchema = z.object({
  name: z.string(),
  id: z.string().optional(),
  network_type: z.string(),
  segmentation_id: z.number().int().optional(),
  physical_network: z.string().nullable().optional(),
  subnets: z
    .array(
      z.object({ cidr: z.string(), id: z.string().optional(), gateway_ip: z.string().nullable().optional() }),
    )
    .optional(),
});

const base = { expect_error: z.boolean().optional() };
export const stepSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('create_port'),
    port: z.string(),
    network: z.string(),
    host: z.string().optional(),
    mac: z.string().optional(),
    ips: z.array(z.string()).optional(),
    device_owner: z.string().optional(),
    device_id: z.string().optional(),
    id: z.string().optional(),
    admin_state_up: z.boolean().optional(),
    /**
     * Project extension (the oracle does not drive DVR): hosts with an ACTIVE distributed binding
     * of a `network:router_interface_distributed` port.
     */
    dvr_hosts: z.array(z.string()).optional(),
    ...base,
  }),
  z.object({
    op: z.literal('port_up'),
    port: z.string(),
    host: z.string().optional(),
    refresh_tunnels: z.boolean().optional(),
    ...base,
  }),
  z.object({ op: z.literal('port_down'), port: z.string(), host: z.string().optional(), ...base }),
  z.object({ op: z.literal('migrate_port'), port: z.string(), host: z.string(), ...base }),
  z.object({ op: z.literal('update_ips'), port: z.string(), ips: z.array(z.string()), ...base }),
  z.object({
    op: z.literal('update_port'),
    port: z.string(),
    body: z.record(z.string(), z.unknown()),
    ...base,
  }),
  z.object({ op: z.literal('delete_port'), port: z.string(), ...base }),
  z.object({
    op: z.literal('agent_restart'),
    host: z.string(),
    ports: z.array(z.string()).optional(),
    tunnel_ip: z.string().optional(),
    ...base,
  }),
  z.object({ op: z.literal('ha_router_create'), router: z.string(), hosts: z.array(z.string()), ...base }),
  z.object({
    op: z.literal('router_interface_add'),
    router: z.string(),
    port: z.string().optional(),
    subnet: z.string().optional(),
    sync: z.boolean().optional(),
    ...base,
  }),
  z.object({
    op: z.literal('router_interface_remove'),
    router: z.string(),
    port: z.string().optional(),
    subnet: z.string().optional(),
    ...base,
  }),
  z.object({
    op: z.literal('ha_state'),
    router: z.string(),
    host: z.string(),
    state: z.enum(['active', 'standby']),
    ...base,
  }),
  z.object({ op: z.literal('l3_sync'), host: z.string(), router: z.string().optional(), ...base }),
  /**
   * Project extension (docs/vip.md): the port's host saw it announce `ip` (a GARP, or an
   * unsolicited NA for IPv6) with `mac` (default the port's own). Neutron has no such input: the
   * oracle does nothing; the replay sends a `vip.claim`.
   */
  z.object({
    op: z.literal('vip_claim'),
    port: z.string(),
    ip: z.string(),
    mac: z.string().optional(),
    ...base,
  }),
]);

export const traceSchema = z.object({
  description: z.string().optional(),
  config: z.object({ ha_network_type: z.string().optional() }).optional(),
  agents: z.array(agentSchema).default([]),
  networks: z.array(networkSchema).default([]),
  steps: z.array(stepSchema).default([]),
});

export type Trace = z.infer<typeof traceSchema>;
export type TraceStep = z.infer<typeof stepSchema>;
export type TraceAgent = z.infer<typeof agentSchema>;
