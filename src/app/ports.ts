import type { AddressedCommand } from '../core/commands.js';
import type { DigestWrite } from '../core/digest-record.js';
import type { RecordedNetwork } from '../core/engine.js';
import type { PortRecord } from '../core/transitions.js';
import type { Agent, FlagSettings, HaRouter, Port, RouterView } from '../core/types.js';
import type { VipRecord } from '../core/vip-view.js';
import type { OwnerRange, PairHolderWrite, PrefixPair, PrefixPairWrite } from './aap-index.js';

/**
 * The per-network record: what the engine plans from (`RecordedNetwork`, src/core/engine.ts: the
 * O(hosts) index, the version, what was last sent to whom, the router views and strategies the
 * tables reflect) and the store's write guard.
 */
export interface NetworkState extends RecordedNetwork {
  /**
   * Write counter, bumped by every committed write of this record (absent counts as 0). It is the
   * optimistic guard: `version` alone does not move when a write changes only the index, so two
   * writers that read the same version could otherwise both commit (docs/crash-safety.md).
   */
  readonly seq?: number;
}

export type { RouterView };

export interface VersionedFlags {
  readonly flags: FlagSettings;
  readonly revision: number;
}

/** Commands of one committed network version, kept until every one is sent (the outbox). */
export interface OutboxRecord {
  readonly networkId: string;
  readonly version: number;
  /** Unique per network and ordered like publication: the zero-padded version, plus a suffix for resyncs. */
  readonly key: string;
  readonly commands: readonly AddressedCommand[];
  /** The inbound event that caused it (src/runtime/correlation.ts); absent in replays and old records. */
  readonly correlationId?: string;
  /** That event's send time (ms) and type, and the network's strategy label: agents measure apply lag from it. */
  readonly origin?: OutboxOrigin;
}

export interface OutboxOrigin {
  readonly at: number;
  readonly eventType: string;
  readonly strategy: string;
}

/** A conditional write: `expected` is the revision/version the item must still have (null: must not exist). */
export interface Guarded<T> {
  readonly value: T;
  readonly expected: number | null;
}

/** A port write. `previous` is the record it replaces, as read (undefined: none). */
export interface PortWrite extends Guarded<PortRecord> {
  /** Lets a store maintain its router-port index without re-reading; it reads when absent. */
  readonly previous?: PortRecord | undefined;
}

/** A network state write. `previous` is the record it replaces, as read (undefined: none). */
export interface NetworkWrite extends Guarded<NetworkState> {
  /** Lets a store maintain its host and HA-network indexes without re-reading; it reads when absent. */
  readonly previous?: NetworkState | undefined;
  /**
   * Write the present hosts and members (`HOSTS`) even when `previous` has the same: the rebuild,
   * whose `previous` may come from a record that has none (docs/operations.md "Rebuilding a network").
   */
  readonly rewriteHosts?: true;
}

/**
 * A fact the plan was computed from, which must still hold at commit time (read-set validation).
 * It closes the race between, for example, an agent report and a port event that makes the same
 * host join a network: whichever commits second sees a conflict and re-plans.
 */
export type FactCheck =
  | { readonly kind: 'agent'; readonly host: string; readonly revision: number | null }
  | { readonly kind: 'router'; readonly id: string; readonly version: number | null }
  /** The router's port set (`RouterRead.portsSeq`) is unchanged: no port depending on it was written. */
  | { readonly kind: 'routerPorts'; readonly id: string; readonly seq: number }
  | { readonly kind: 'flags'; readonly revision: number }
  /**
   * The VIP record of `ip` does not exist or does not name `portId` among its holders (its owner
   * included): a port event that took a right away from the port without reading the record
   * (src/app/vip-unbinding.ts). When it fails, the retry reads the record.
   */
  | { readonly kind: 'vipNotHeld'; readonly networkId: string; readonly ip: string; readonly portId: string }
  /**
   * The owner item `mac` of the network (a MAC or an owner key such as a held IP's,
   * src/app/aap-index.ts) does not exist: a claim that read its address as held by no port.
   */
  | { readonly kind: 'notOwned'; readonly networkId: string; readonly mac: string };

/** Everything one batch writes, atomically. */
export interface Commit {
  readonly ports: readonly PortWrite[];
  /** MAC ownership per network; `owner: null` releases the MAC. */
  readonly macs: readonly { networkId: string; mac: string; owner: string | null }[];
  readonly routers: readonly Guarded<HaRouter>[];
  readonly agents: readonly Guarded<Agent>[];
  readonly flags: Guarded<VersionedFlags> | null;
  readonly networks: readonly NetworkWrite[];
  readonly outbox: readonly OutboxRecord[];
  /** Facts read but not written; a store must fail the commit with `conflict` if one changed. */
  readonly checks?: readonly FactCheck[];
  /** VIP records (docs/vip.md), guarded on their `version`; absent: none written. */
  readonly vips?: readonly Guarded<VipRecord>[];
  /** The drift-audit sum records of the networks written (docs/drift-audit.md), updated without a read. */
  readonly digests?: readonly NetworkDigestWrites[];
  /** Changes of the pair-holder index (src/app/aap-index.ts), unguarded: the network's `seq` orders them. */
  readonly pairHolders?: readonly PairHolderWrite[];
  /** Changes of the networks' prefix-pair lists (src/app/aap-index.ts), unguarded like the holders. */
  readonly prefixPairs?: readonly PrefixPairWrite[];
}

/** One network's drift-audit sum writes in a commit (`computeDigestWrites`). */
export interface NetworkDigestWrites {
  readonly networkId: string;
  readonly writes: readonly DigestWrite[];
}

export type CommitResult = 'committed' | 'conflict';

/** Items to read together, in one strongly consistent round (`FactStore.readMany`). */
export interface ReadRequest {
  readonly networks?: readonly string[];
  /** Ports under the network the event names (a port found elsewhere is followed, as `getPort` does). */
  readonly ports?: readonly { readonly id: string; readonly networkId: string }[];
  readonly macs?: readonly { readonly networkId: string; readonly mac: string }[];
  /** VIP records, by network and address. */
  readonly vips?: readonly { readonly networkId: string; readonly ip: string }[];
  /** The flags too (a VIP claim resolves its strategy from them). */
  readonly flags?: boolean;
  /** Pair holders of addresses (src/app/aap-index.ts), by network and address. */
  readonly pairHolders?: readonly { readonly networkId: string; readonly ip: string }[];
  /** The prefix-pair list (src/app/aap-index.ts) of each of these networks. */
  readonly prefixPairs?: readonly string[];
}

/** A network state as read, and whether an outbox record of the network may still be unpublished. */
export interface NetworkRead {
  readonly state: NetworkState | undefined;
  /** False only when every outbox record committed for the network is known to be published. */
  readonly outboxPending: boolean;
}

export interface ReadResult {
  readonly networks: ReadonlyMap<string, NetworkRead>;
  /** Keyed by port id. */
  readonly ports: ReadonlyMap<string, PortRecord | undefined>;
  /** Keyed by `macReadKey(networkId, mac)`. */
  readonly macs: ReadonlyMap<string, string | undefined>;
  /** Keyed by `vipReadKey(networkId, ip)`; present when asked for. */
  readonly vips?: ReadonlyMap<string, VipRecord | undefined>;
  /** Present when asked for. */
  readonly flags?: VersionedFlags;
  /** Keyed by `macReadKey(networkId, ip)`, the ports sorted; present when asked for. */
  readonly pairHolders?: ReadonlyMap<string, readonly string[]>;
  /** Keyed by network id, sorted by prefix then port; present when asked for. */
  readonly prefixPairs?: ReadonlyMap<string, readonly PrefixPair[]>;
}

export const vipReadKey = (networkId: string, ip: string): string => `${networkId}|${ip}`;

export const macReadKey = (networkId: string, mac: string): string => `${networkId}|${mac}`;

/** A router fact and the live ports that depend on it, read together (`FactStore.readRouter`). */
export interface RouterRead {
  readonly router: HaRouter | undefined;
  readonly ports: readonly Port[];
  /**
   * Bumped by every commit that writes a port depending on the router (or one that stops
   * depending on it); 0 before the first. A `routerPorts` check on it makes a commit planned from
   * `ports` fail if the set or one of its ports changed since.
   */
  readonly portsSeq: number;
}

/** Storage of facts and network state (DynamoDB in the cloud, a Map in tests and replay). */
export interface FactStore {
  getNetworkState(networkId: string): Promise<NetworkState | undefined>;
  /**
   * Several reads at once, each as strongly consistent as the single ones, plus whether each
   * network has an outbox record that may be unpublished (docs/data-model.md, "Cost per event").
   */
  readMany(request: ReadRequest): Promise<ReadResult>;
  /** `networkId` is a hint (the network the event names); a store may use it to save a request. */
  getPort(portId: string, networkId?: string): Promise<PortRecord | undefined>;
  getMacOwner(networkId: string, mac: string): Promise<string | undefined>;
  /**
   * The first owner item of the network whose key sorts between `from` and `to` (inclusive) and
   * whose owner is none of `excluding` (the `heldx:` range of src/app/aap-index.ts), strongly
   * consistent; undefined when there is none.
   */
  firstOwnerBetween: OwnerRange['firstOwnerBetween'];
  getRouter(routerId: string): Promise<HaRouter | undefined>;
  getAgent(host: string): Promise<Agent | undefined>;
  getFlags(): Promise<VersionedFlags>;
  /** Full read of a network: allowed only for snapshots, resyncs and flag or agent changes. */
  listNetworkPorts(networkId: string): Promise<Port[]>;
  /** Every VIP record of the network (few): read with `listNetworkPorts` for snapshots and recomputes. */
  listNetworkVips(networkId: string): Promise<VipRecord[]>;
  /** Networks that hold a VIP record (what a flag change can affect besides HA networks). */
  listVipNetworks(): Promise<string[]>;
  /** Live ports whose device id is the router (its interfaces and gateway): network-owned ports. */
  listRouterPorts(routerId: string): Promise<Port[]>;
  /** The router, its ports (`listRouterPorts`) and their write counter, in one strongly consistent round. */
  readRouter(routerId: string): Promise<RouterRead>;
  /** Networks in which the host has a presence count. */
  listHostNetworks(host: string): Promise<string[]>;
  /** Networks that hold a port of some HA router (what a flag change can affect). */
  listHaNetworks(): Promise<string[]>;
  /** Atomic; `conflict` when any guard failed (the caller re-reads and retries). */
  commit(commit: Commit): Promise<CommitResult>;
  listOutbox(networkId: string): Promise<OutboxRecord[]>;
  deleteOutbox(networkId: string, key: string): Promise<void>;
}

/**
 * What a network rebuild reads and writes besides the `FactStore` (src/app/on-network-rebuild.ts):
 * the derived items as stored, so it writes only what is missing or wrong, and the presence counts
 * it brings back in bulk (a network converted from the first engine, docs/operations.md).
 */
export interface RebuildStore {
  readDerived(networkId: string): Promise<StoredDerived>;
  /** The stored presence count of each host in the network: a number, null (an item without one), or absent. */
  readPresence(networkId: string, hosts: readonly string[]): Promise<ReadonlyMap<string, number | null>>;
  /** Sets the hosts' presence counts and deletes the presence items of `gone`, unguarded, in batches. */
  writePresence(
    networkId: string,
    counts: Readonly<Record<string, number>>,
    gone: readonly string[],
  ): Promise<void>;
}

/** A network's overlap indexes, host sum records and first-engine record, as stored. */
export interface StoredDerived {
  /** Held fixed IPs (`heldx:` keys) -> owner port. */
  readonly held: ReadonlyMap<string, string>;
  /** Address -> ports recorded as holding it as a bare pair. */
  readonly holders: ReadonlyMap<string, readonly string[]>;
  readonly prefixes: readonly PrefixPair[];
  /** Hosts with a drift-audit host sum record (`DIGEST#<host>`) in the network. */
  readonly digestHosts: readonly string[];
  /** Whether the network's `HOSTS` item exists (a network state written by this engine). */
  readonly hostsRecorded: boolean;
  /**
   * The first engine's index, when the state item still carries one (`{index, sent}` in its body,
   * no `HOSTS` item): the hosts it counted present and those it had members for. Null otherwise.
   */
  readonly legacy: { readonly hosts: readonly string[]; readonly members: readonly string[] } | null;
}

/** A network holding outbox records, and when its oldest one was written (ISO time). */
export interface PendingOutbox {
  readonly networkId: string;
  readonly at: string;
}

/** The operator index of pending outbox records (the sweeper's input), eventually consistent. */
export interface PendingOutboxes {
  /** Every network holding an outbox record, each once with its oldest record's time, sorted by network. */
  listPendingOutboxes(): Promise<PendingOutbox[]>;
}

/** Sends commands to agent queues. Must keep per-network order for one host. */
export interface CommandPublisher {
  publish(record: OutboxRecord): Promise<void>;
}

/** One network as an agent reported holding it (`agent.applied`). */
export interface AppliedNetwork {
  readonly networkId: string;
  readonly version: number;
  readonly bootId: string;
  /** Agent's clock, ms since the epoch, of its apply. */
  readonly at: number;
}

/**
 * What agents report they hold, for operators (`l2pop status`): not a fact the planner reads.
 * `record` keeps the highest version per (host, network) within a boot; a new boot id resets it.
 */
export interface AppliedVersions {
  record(
    host: string,
    bootId: string,
    networks: Readonly<Record<string, number>>,
    at: number,
  ): Promise<number>;
  list(host: string): Promise<AppliedNetwork[]>;
}

/** When the controller last heard from each agent host (the agent queue lifecycle). */
export interface AgentSeen {
  /** The host sent an event at `at` (ms); an older time than recorded is ignored. */
  touch(host: string, at: number): Promise<void>;
  /** Records `at` only if nothing is recorded yet (a queue from before last-seen was kept). */
  startClock(host: string, at: number): Promise<void>;
  lastSeen(host: string): Promise<number | undefined>;
}

/** One agent command queue of the stack, as listed with its tags. */
export interface ListedAgentQueue {
  readonly url: string;
  /** The `l2pop:host` tag; undefined: not a queue the controller created (left alone). */
  readonly host: string | undefined;
}

/** The stack's agent command queues. */
export interface AgentQueueList {
  list(): AsyncIterable<ListedAgentQueue>;
  remove(queue: ListedAgentQueue): Promise<void>;
}

/** A failover whose last affected agent has just reported applying it (`FailoverConvergenceMs`). */
export interface ConvergedFailover {
  readonly networkId: string;
  readonly version: number;
  /** The network's strategy label when the `ha.state` committed (the outbox record's origin). */
  readonly strategy: string;
  /** The `ha.state` event's correlation id. */
  readonly correlationId: string | undefined;
  /** Agents the version was sent to. */
  readonly hosts: number;
  /** From the `ha.state` being sent to the latest apply among those agents (agents' clocks). */
  readonly ms: number;
}

/**
 * Per-failover convergence: one record per network, for the latest version an `ha.state`
 * produced, with the hosts it was sent to and still waiting for (docs/data-model.md, `FAILOVER`).
 */
export interface FailoverConvergence {
  /** The record is being published: wait for its hosts (no-op unless it came from `ha.state`). */
  open(record: OutboxRecord): Promise<{ readonly superseded: boolean }>;
  /**
   * The host holds `version` of the network since `at` (ms). Returns the failover when this host was
   * the last one it waited for; a duplicate or an older report changes nothing and returns undefined.
   */
  applied(
    host: string,
    networkId: string,
    version: number,
    at: number,
  ): Promise<ConvergedFailover | undefined>;
}
