import { z } from 'zod';
import { inboundEventSchema } from '../../src/contracts/events.js';
import { hostSchema, idSchema, ipSchema, macSchema } from '../../src/contracts/primitives.js';

/** VRRP timing the data plane is simulated with; defaults are the bed's measurements (dataplane.md). */
export const vrrpSchema = z.object({
  /** keepalived SIGTERM to the new master holding the VIP (811-825 ms measured). */
  gracefulMs: z.number().int().nonnegative().default(815),
  /** Underlay link down to the new master holding the VIP: 3 missed adverts + skew (3.35-3.68 s). */
  nodeLossMs: z.number().int().nonnegative().default(3500),
  /** `garp_master_delay`: the second GARP batch (5 s). */
  garpRepeatMs: z.number().int().nonnegative().default(5000),
  /** `advert_int`: a VIP's master advertises from its virtual MAC this often (1 s on the beds). */
  advertMs: z.number().int().positive().default(1000),
});

export const failoverSchema = z.object({
  router: idSchema,
  from: hostSchema,
  to: hostSchema,
  /** `graceful`: keepalived stops on `from`; `node-loss`: `from`'s node goes dark, agent included. */
  mode: z.enum(['graceful', 'node-loss']),
  /**
   * `generate` (default): the run makes the L3 agents' reports itself, in real time: `from`
   * reports standby at the failure (graceful), `to` reports active when VRRP has moved the VIP.
   * `in-events`: the phase's events carry the reports; the failure is taken to be one VRRP
   * takeover before the first of them is sent.
   */
  reports: z.enum(['generate', 'in-events']).default('generate'),
});

/**
 * A keepalived VIP moving between two VMs of a network: the phase's events (the new owner's
 * `vip.claim`) are sent when VRRP has moved it, one takeover after the failure, as the new
 * owner's agent would send them on seeing its GARP. `from` and `to` are the VMs' hosts.
 */
export const vipFailoverSchema = z.object({
  networkId: idSchema,
  ip: ipSchema,
  /** The MAC the VIP answers with (a `use_vmac` virtual MAC: advertised from it too). */
  mac: macSchema,
  from: hostSchema,
  to: hostSchema,
  /** `graceful`: keepalived stops on `from`'s VM; `vm-loss`: that VM dies, its host stays up. */
  mode: z.enum(['graceful', 'vm-loss']),
});

export const phaseSchema = z.object({
  name: z.string().min(1).max(80),
  /** Inbound events, sent in order. An `agent.report` is made by the simulated agent of its host. */
  events: z.array(inboundEventSchema).default([]),
  failover: failoverSchema.optional(),
  vipFailover: vipFailoverSchema.optional(),
});

/**
 * The project's scenario format: phases of inbound events, some of them HA failovers. The run
 * waits for the controller and the agents to go quiet after each phase, then meters it.
 */
export const scenarioSchema = z.object({
  description: z.string().optional(),
  vrrp: vrrpSchema.default({ gracefulMs: 815, nodeLossMs: 3500, garpRepeatMs: 5000, advertMs: 1000 }),
  phases: z.array(phaseSchema).min(1),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type Phase = z.infer<typeof phaseSchema>;
export type FailoverSpec = z.infer<typeof failoverSchema>;
export type VipFailoverSpec = z.infer<typeof vipFailoverSchema>;
export type VrrpSettings = z.infer<typeof vrrpSchema>;
