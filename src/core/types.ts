import type { VipView } from './vip-view.js';

/**
 * Domain types of the L2 population core. These are plain data; the zod schemas in
 * `src/contracts/` parse untrusted input into them. Nothing here performs I/O.
 */

/**
 * The HA-router strategy a flag resolves to. `auto` is decided per receiving agent and router, from
 * the agent's capabilities and those of the router's hosting nodes (`computeRouterView`).
 */
export const STRATEGIES = ['tunnel', 'master-binding', 'auto'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** What one agent is shown for one HA router port: `auto` resolves to one of these. */
export type HaView = 'tunnel' | 'master-binding';

/**
 * How an agent handles ARP:
 * - `off`: ARP is flooded like any broadcast;
 * - `responder`: Open vSwitch style, answers ARP for IPs it has an entry for and floods the rest;
 * - `proxy`: kernel VXLAN `proxy` style, answers from its entries, drops unknown requests and drops
 *   every ARP reply and GARP it would send (`docs/dataplane.md` §6, findings 2-3).
 */
export const ARP_MODES = ['off', 'responder', 'proxy'] as const;
export type ArpMode = (typeof ARP_MODES)[number];

export interface AgentCapabilities {
  /** Learns MAC addresses from frames arriving over tunnels. */
  readonly learning: boolean;
  readonly arp: ArpMode;
}

export interface Agent {
  readonly host: string;
  /** The VTEP address; an agent without one is absent from every network (Neutron §1.6). */
  readonly tunnelIp: string | null;
  readonly agentType: string;
  /** `l2pop_network_types` when reported, else `tunnel_types` (Neutron §1.5). */
  readonly networkTypes: readonly string[];
  readonly capabilities: AgentCapabilities;
  /** Changes on every agent start; a new boot id means the agent lost its tables. */
  readonly bootId: string;
  /** Monotonic per host; an older report never overwrites a newer one. */
  readonly revision: number;
}

export interface Network {
  readonly id: string;
  readonly name: string;
  readonly networkType: string;
  readonly segmentId: number;
}

export const PORT_STATUSES = ['ACTIVE', 'DOWN', 'BUILD'] as const;
export type PortStatus = (typeof PORT_STATUSES)[number];

export interface Port {
  readonly id: string;
  readonly networkId: string;
  /** Lower-case, colon separated. */
  readonly mac: string;
  /** Canonical addresses, in Neutron's `fixed_ips` order. */
  readonly ips: readonly string[];
  readonly deviceOwner: string;
  /** For router ports, the router id. */
  readonly deviceId: string;
  /** `binding:host_id`; empty when unbound. */
  readonly host: string;
  readonly status: PortStatus;
  /** Hosts with an ACTIVE distributed binding; only DVR interface ports use it. */
  readonly dvrHosts: readonly string[];
  /** Monotonic; a fact with a lower revision is stale. */
  readonly revision: number;
  /**
   * Neutron's `allowed_address_pairs`: addresses the port may also send from and answer for (a
   * keepalived VIP, an Octavia amphora's VIP). Absent means none. Not yet planned (issue 16, docs/vip.md).
   */
  readonly allowedAddressPairs?: readonly AllowedAddressPair[];
}

/**
 * One allowed-address pair, canonical: `ipAddress` is an address, or `network/length` for a wider
 * prefix (`formatPrefix`); `macAddress` is the port's own MAC when the event named none, as
 * Neutron stores it (`_process_create_allowed_address_pairs`).
 */
export interface AllowedAddressPair {
  readonly ipAddress: string;
  readonly macAddress: string;
}

/**
 * What of an HA router the desired tables depend on: where it is scheduled and who is master
 * (`viewOfRouter`). A network records the view of each router its tables reflect; the planner
 * reads that record, never a router fact rebuilt from it.
 */
export interface RouterView {
  readonly hosts: readonly string[];
  readonly master: string | null;
}

export const HA_STATES = ['active', 'standby', 'fault', 'unknown'] as const;
export type HaState = (typeof HA_STATES)[number];

/** Ordering key of an HA report: (term, seq) compared lexicographically. */
export interface HaOrder {
  readonly term: number;
  readonly seq: number;
}

export interface HaHostState {
  readonly state: HaState;
  readonly order: HaOrder;
}

export interface HaRouter {
  readonly id: string;
  /** Hosts the router is scheduled on (its L3 agents), sorted. */
  readonly hosts: readonly string[];
  /** Last report per host; a host may report before or after it is scheduled. */
  readonly states: Readonly<Record<string, HaHostState>>;
  /** Revision of the scheduling fact; `UNSCHEDULED_REVISION` (-1) before the first schedule. */
  readonly revision: number;
  /** Bumped on every recorded change; the store's optimistic guard for the router item. */
  readonly version: number;
}

export interface RolloutSetting {
  /** 0-100: routers whose stable hash falls below it get `strategy`. */
  readonly percent: number;
  readonly strategy: Strategy;
}

export interface FlagSettings {
  readonly defaultStrategy: Strategy;
  readonly rollout: RolloutSetting | null;
  readonly networks: Readonly<Record<string, Strategy>>;
  readonly routers: Readonly<Record<string, Strategy>>;
  /** Per-port overrides for the VIPs the port owns (`resolveVipStrategy`); absent: none. */
  readonly ports?: Readonly<Record<string, Strategy>> | undefined;
}

/** `[mac, ip]`; the flooding entry is `['00:00:00:00:00:00', '0.0.0.0']`. */
export type Entry = readonly [mac: string, ip: string];

/** One agent's forwarding state for one network: tunnel IP -> sorted entries. */
export type AgentTable = Readonly<Record<string, readonly Entry[]>>;

/** Everything the desired state of one network depends on. */
export interface NetworkFacts {
  readonly network: Network;
  readonly agents: ReadonlyMap<string, Agent>;
  readonly ports: readonly Port[];
  readonly routers: ReadonlyMap<string, HaRouter>;
  readonly flags: FlagSettings;
  /** The network's VIPs as recorded (`viewOfVip`); absent: none. */
  readonly vips?: readonly VipView[];
}
