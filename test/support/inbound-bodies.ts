import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';

/**
 * Bodies of the inbound events the tests send, without the `v` field: the in-memory tests parse
 * them with `inboundEvent`, the runtime tests wrap them with `message` (test/support/messages.ts).
 * Each builder writes the fields in the order Neutron's driver and the agents do, so a body reads
 * as it would on the queue.
 */
export type Body = Record<string, unknown>;

/** `body` with `v: 1`, parsed as the controller parses it (throws on what it rejects). */
export const inboundEvent = (body: Body): InboundEvent =>
  parseInboundEvent(JSON.stringify({ v: 1, ...body }));

/** A `flags.set` of a default strategy, without rollout or per-network and per-router overrides. */
export const flagsSetBody = (defaultStrategy: string, revision = 1): Body => ({
  type: 'flags.set',
  flags: { defaultStrategy, rollout: null, networks: {}, routers: {} },
  revision,
});

/** The agent kinds the tests report: the agent type and the capabilities it announces. */
export const AGENT_STYLES = {
  /** Open vSwitch with learning and the ARP responder. */
  ovs: { agentType: 'Open vSwitch agent', capabilities: { learning: true, arp: 'responder' } },
  /** Open vSwitch with the ARP responder and learning off. */
  'ovs-no-learning': { agentType: 'Open vSwitch agent', capabilities: { learning: false, arp: 'responder' } },
  /** The Linux bridge with the kernel's ARP proxy (the reference agent's kind). */
  'linuxbridge-proxy': { agentType: 'Linux bridge agent', capabilities: { learning: false, arp: 'proxy' } },
} as const;
export type AgentStyle = keyof typeof AGENT_STYLES;

/** An `agent.report` of a VXLAN agent, revision 1. */
export const agentReportBody = (host: string, tunnelIp: string, style: AgentStyle, bootId = 'b1'): Body => ({
  type: 'agent.report',
  host,
  tunnelIp,
  agentType: AGENT_STYLES[style].agentType,
  networkTypes: ['vxlan'],
  capabilities: AGENT_STYLES[style].capabilities,
  bootId,
  revision: 1,
});

export interface NetworkRef {
  readonly id: string;
  readonly networkType: string;
  readonly segmentId: number;
}

export interface VmPortSpec {
  readonly id: string;
  readonly mac: string;
  readonly ips: readonly string[];
  readonly host: string;
  readonly revision: number;
  readonly status?: 'ACTIVE' | 'DOWN';
  /** `compute:nova` unless given. */
  readonly deviceOwner?: string;
  /** `vm-<id>` unless given. */
  readonly deviceId?: string;
  /** Written only when given (an empty list is written as one). */
  readonly allowedAddressPairs?: readonly { ipAddress: string; macAddress?: string }[];
}

/** A `port.upsert` of a VM port unless `deviceOwner` says otherwise (ACTIVE unless said), no DVR hosts. */
export const vmPortBody = (network: NetworkRef, p: VmPortSpec): Body => ({
  type: 'port.upsert',
  network,
  port: {
    id: p.id,
    networkId: network.id,
    mac: p.mac,
    ips: p.ips,
    deviceOwner: p.deviceOwner ?? 'compute:nova',
    deviceId: p.deviceId ?? `vm-${p.id}`,
    host: p.host,
    status: p.status ?? 'ACTIVE',
    dvrHosts: [],
    revision: p.revision,
    ...(p.allowedAddressPairs ? { allowedAddressPairs: p.allowedAddressPairs } : {}),
  },
});

/** A `port.delete`. */
export const portDeleteBody = (networkId: string, portId: string, revision: number): Body => ({
  type: 'port.delete',
  portId,
  networkId,
  revision,
});

export interface VipClaimSpec {
  readonly host: string;
  readonly networkId: string;
  readonly portId: string;
  readonly ip: string;
  readonly mac: string;
  readonly at: number;
  /** The claim's sequence number: `at` unless given. */
  readonly seq?: number;
  /** `garp` unless given. */
  readonly kind?: 'garp' | 'unsolicited_na';
}

/** A `vip.claim`, as the claim watcher sends it on an announcement it saw. */
export const vipClaimBody = (c: VipClaimSpec): Body => ({
  type: 'vip.claim',
  host: c.host,
  networkId: c.networkId,
  portId: c.portId,
  ip: c.ip,
  mac: c.mac,
  kind: c.kind ?? 'garp',
  at: c.at,
  seq: c.seq ?? c.at,
});
