import type { AddressedCommand } from '../core/commands.js';
import type { NetworkIndex } from '../core/desired.js';
import type { PortRecord } from '../core/transitions.js';
import type { Agent, FlagSettings, HaRouter, Network, Port, Strategy } from '../core/types.js';

/** The per-network record: an O(hosts) summary, the version, and what was last sent to whom. */
export interface NetworkState {
  readonly network: Network;
  /** Grows by one per committed batch that changed some agent's table. */
  readonly version: number;
  readonly index: NetworkIndex;
  /** Host -> version of the last command sent for this network (the next delta's `base`). */
  readonly sent: Readonly<Record<string, number>>;
  /** HA router -> the strategy this network's tables currently reflect. */
  readonly strategies: Readonly<Record<string, Strategy>>;
}

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
}

/** A conditional write: `expected` is the revision/version the item must still have (null: must not exist). */
export interface Guarded<T> {
  readonly value: T;
  readonly expected: number | null;
}

/** Everything one batch writes, atomically. */
export interface Commit {
  readonly ports: readonly Guarded<PortRecord>[];
  /** MAC ownership per network; `owner: null` releases the MAC. */
  readonly macs: readonly { networkId: string; mac: string; owner: string | null }[];
  readonly routers: readonly Guarded<HaRouter>[];
  readonly agents: readonly Guarded<Agent>[];
  readonly flags: Guarded<VersionedFlags> | null;
  readonly networks: readonly Guarded<NetworkState>[];
  readonly outbox: readonly OutboxRecord[];
}

export type CommitResult = 'committed' | 'conflict';

/** Storage of facts and network state (DynamoDB in the cloud, a Map in tests and replay). */
export interface FactStore {
  getNetworkState(networkId: string): Promise<NetworkState | undefined>;
  getPort(portId: string): Promise<PortRecord | undefined>;
  getMacOwner(networkId: string, mac: string): Promise<string | undefined>;
  getRouter(routerId: string): Promise<HaRouter | undefined>;
  getAgent(host: string): Promise<Agent | undefined>;
  getFlags(): Promise<VersionedFlags>;
  /** Full read of a network: allowed only for snapshots, resyncs and flag or agent changes. */
  listNetworkPorts(networkId: string): Promise<Port[]>;
  /** Live ports whose device id is the router (its interfaces and gateway). */
  listRouterPorts(routerId: string): Promise<Port[]>;
  /** Networks in which the host has a presence count. */
  listHostNetworks(host: string): Promise<string[]>;
  /** Networks that hold a port of some HA router (what a flag change can affect). */
  listHaNetworks(): Promise<string[]>;
  /** Atomic; `conflict` when any guard failed (the caller re-reads and retries). */
  commit(commit: Commit): Promise<CommitResult>;
  listOutbox(networkId: string): Promise<OutboxRecord[]>;
  deleteOutbox(networkId: string, key: string): Promise<void>;
}

/** Sends commands to agent queues. Must keep per-network order for one host. */
export interface CommandPublisher {
  publish(record: OutboxRecord): Promise<void>;
}
