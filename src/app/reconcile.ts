import type { AuditResult } from '../core/audit-decision.js';
import { computeDigestWrites } from '../core/digest-record.js';
import { routerDependedOn } from '../core/owners.js';
import { isTombstone, type PortRecord } from '../core/transitions.js';
import type { Agent, HaRouter, Port } from '../core/types.js';
import type { VipConfig } from '../core/vip.js';
import type { AuditDeps } from './audit-ports.js';
import type { PlannedNetwork } from './network-planner.js';
import { flushOutbox, publishAll } from './outbox.js';
import {
  type AppliedVersions,
  type CommandPublisher,
  type Commit,
  type FactStore,
  macReadKey,
  type NetworkDigestWrites,
  type NetworkState,
  type NetworkWrite,
  type OutboxRecord,
  type ReadRequest,
  type ReadResult,
  type RebuildStore,
} from './ports.js';
import { trackReads } from './read-tracker.js';
import type { AapOverlap, IndexRepair } from './rebuild-index.js';
import type { RouterNetworkHints } from './router-network-hints.js';

export interface Deps {
  readonly store: FactStore;
  readonly publisher: CommandPublisher;
  /** Optimistic-concurrency retries before the conflict is reported as transient. */
  readonly maxAttempts?: number;
  /** Where `agent.applied` reports are kept; without it they are acknowledged and dropped (replay). */
  readonly applied?: AppliedVersions;
  /** The drift audit (`agent.audit`); without it audits are acknowledged without effect (replay). */
  readonly audits?: AuditDeps;
  /** The VIP claim rules (N moves in T, hold time...); default `DEFAULT_VIP_CONFIG`. */
  readonly vip?: VipConfig;
  /**
   * Neutron's `[ml2] overlay_ip_version`: the IP version of every tunnel endpoint (default 4). A
   * kernel VXLAN device takes remote VTEPs of its own family only, so one endpoint of the other
   * family would be refused by every agent of its networks (`tunnel_ip_version`).
   */
  readonly overlayIpVersion?: 4 | 6;
  /** The controller's clock (ms), for the claims' future bound; default `Date.now`. */
  readonly now?: () => number;
  /** The derived items a network rebuild reads (`network.rebuild`); without it a rebuild is refused. */
  readonly rebuild?: RebuildStore;
  /** Where a router's dependents were last seen (`ha.state` reads that network beside the router); none: two rounds. */
  readonly routerNetworks?: RouterNetworkHints;
}

/** What one event did; the runtime turns it into log lines and metrics. */
export interface EventResult {
  readonly outcome: 'applied' | 'stale' | 'unchanged';
  /**
   * Network id -> version committed and commands sent for it, and `fallback` (`<change kind>/<reason>`)
   * when its planner's precondition failed and the full recompute ran (logged and counted).
   */
  readonly networks: readonly { networkId: string; version: number; commands: number; fallback?: string }[];
  /** Routers whose HA state has more than one active claim after this event. */
  readonly splitBrain: readonly string[];
  /** Strategies that applied to the HA routers involved. */
  readonly strategies: Readonly<Record<string, string>>;
  /** `agent.audit`: what each audited network concluded (docs/drift-audit.md). */
  readonly audits?: readonly AuditOutcome[];
  /** A `vip.claim` or a release: what it did to the VIP (logged; frozen and split brain raise metrics). */
  readonly vip?: VipOutcomeSummary;
  /** A `network.rebuild`: what it wrote and the overlaps it found (logged; overlaps raise a metric). */
  readonly rebuild?: RebuildSummary;
  /**
   * A port event: the overlaps (`aap_overlaps_fixed_ip`) it brings, as the indexes found them; the
   * port is recorded all the same (logged as the rebuild's are, `AapOverlapsFound`).
   */
  readonly overlaps?: readonly NetworkAapOverlap[];
}

/** An overlap with the network it is in. */
export interface NetworkAapOverlap extends AapOverlap {
  readonly networkId: string;
}

/** What a network rebuild did (src/app/on-network-rebuild.ts). */
export interface RebuildSummary {
  readonly networkId: string;
  /** Who asked (the event's `requestedBy`). */
  readonly requestedBy?: string;
  /** Ports that already break the overlap rule: reported, left in place. */
  readonly overlaps: readonly AapOverlap[];
  readonly index: IndexRepair;
  /** The state item still held the first engine's index (converted by this rebuild). */
  readonly legacy: boolean;
  /** Presence counts set and presence items deleted before the state's commit. */
  readonly presence: { readonly set: number; readonly removed: number };
  /** Members sent a snapshot at the new version. */
  readonly members: number;
  /** Commits after the state's that completed the drift-audit sums (0: they fit in it). */
  readonly digestChunks: number;
}

/** One audited (host, network): the result, and whether a repair snapshot was sent. */
export interface AuditOutcome {
  readonly host: string;
  readonly networkId: string;
  readonly result: AuditResult;
  readonly repaired: boolean;
}

export interface VipOutcomeSummary {
  readonly networkId: string;
  readonly ip: string;
  /** The owner after the event; null: none (its port lost it, and no claim took it since). */
  readonly owner: { readonly host: string; readonly portId: string; readonly mac: string } | null;
  readonly strategy: string;
  readonly moved: boolean;
  readonly froze: boolean;
  readonly frozen: boolean;
  readonly suppressed: boolean;
  readonly released: boolean;
  readonly splitBrain: boolean;
}

/** A conflict the store kept reporting: transient, so SQS retries the message. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
}

/** A commit that writes nothing: use-cases spread their parts over it. */
export const EMPTY_COMMIT: Commit = {
  ports: [],
  macs: [],
  routers: [],
  agents: [],
  flags: null,
  networks: [],
  outbox: [],
};

export interface Draft {
  readonly commit: Partial<Commit>;
  readonly planned: readonly PlannedNetwork[];
  readonly result: Omit<EventResult, 'networks'>;
}

export const STALE_RESULT: EventResult = { outcome: 'stale', networks: [], splitBrain: [], strategies: {} };

/**
 * The store one planning attempt reads through. What `readMany` returned serves the attempt's
 * single reads of the same items, and a network whose outbox may hold an unpublished record is
 * flushed as soon as its state is read, before anything is planned on it: the agents never see a
 * version gap, and in the steady state (nothing pending) this costs no request.
 */
function attemptStore(deps: Deps): FactStore {
  const inner = deps.store;
  const networks = new Map<string, NetworkState | undefined>();
  const ports = new Map<string, PortRecord | undefined>();
  const macs = new Map<string, string | undefined>();
  const readMany = async (request: ReadRequest): Promise<ReadResult> => {
    const read = await inner.readMany(request);
    for (const [id, r] of read.networks) {
      if (r.outboxPending) await flushOutbox(inner, deps.publisher, id);
      networks.set(id, r.state);
    }
    for (const p of request.ports ?? []) ports.set(macReadKey(p.networkId, p.id), read.ports.get(p.id));
    for (const [k, owner] of read.macs) macs.set(k, owner);
    return read;
  };
  // The stores' methods are closures (no `this`), so the others are passed through as they are.
  return {
    ...inner,
    readMany,
    async getNetworkState(id) {
      if (networks.has(id)) return networks.get(id);
      return (await readMany({ networks: [id] })).networks.get(id)?.state;
    },
    async getPort(id, networkId) {
      const k = networkId === undefined ? undefined : macReadKey(networkId, id);
      return k !== undefined && ports.has(k) ? ports.get(k) : inner.getPort(id, networkId);
    },
    async getMacOwner(networkId, mac) {
      const k = macReadKey(networkId, mac);
      return macs.has(k) ? macs.get(k) : inner.getMacOwner(networkId, mac);
    },
  };
}

/**
 * Plans and commits with optimistic retries, then publishes what it committed. `build` must read
 * through the store it is given: its agent, router and flags reads become commit checks, and a
 * network state read there first flushes the network's pending outbox records (`attemptStore`).
 */
export async function runWithRetry(
  deps: Deps,
  build: (store: FactStore) => Promise<Draft | null>,
): Promise<EventResult> {
  const attempts = deps.maxAttempts ?? 8;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const tracker = trackReads(attemptStore(deps));
    const draft = await build(tracker.store);
    if (!draft) return STALE_RESULT;
    const networks = draft.planned.map((p) => guardNetwork(undefined, p.state));
    const planned: Commit = {
      ...EMPTY_COMMIT,
      ...draft.commit,
      networks: draft.commit.networks ?? networks,
      outbox: draft.planned.map((p) => p.outbox).filter((o): o is OutboxRecord => o !== null),
    };
    // The store marks a network's outbox as pending in the state write; a record without it
    // would go unnoticed by the next reader if this invocation died before publishing it.
    const written = new Set(planned.networks.map((w) => w.value.network.id));
    for (const o of planned.outbox)
      if (!written.has(o.networkId))
        throw new Error(`outbox record for network ${o.networkId} without its state`);
    const commit: Commit = {
      ...planned,
      checks: [...(draft.commit.checks ?? []), ...tracker.checksFor(planned)],
      digests: [...(draft.commit.digests ?? []), ...digestWritesOf(draft.planned, planned.networks)],
    };
    if ((await deps.store.commit(commit)) === 'conflict') continue;
    await publishAll(deps.store, deps.publisher, commit.outbox);
    return {
      ...draft.result,
      networks: draft.planned.map((p) => ({
        networkId: p.state.network.id,
        version: p.state.version,
        commands: p.outbox?.commands.length ?? 0,
        ...(p.fallback ? { fallback: p.fallback } : {}),
      })),
    };
  }
  throw new ConcurrencyError(`gave up after ${attempts} conflicting attempts`);
}

/** The drift-audit sum writes of the planned networks, with the state writes they go with. */
function digestWritesOf(
  planned: readonly PlannedNetwork[],
  networks: readonly NetworkWrite[],
): NetworkDigestWrites[] {
  const out: NetworkDigestWrites[] = [];
  for (const p of planned) {
    const id = p.state.network.id;
    const w = networks.find((n) => n.value.network.id === id);
    if (!p.digest || !w) continue;
    out.push({ networkId: id, writes: computeDigestWrites(p.digest, p.state.version, w.expected === null) });
  }
  return out;
}

/** The guarded write of a network state: bumps `seq`, expects the one read (null: must not exist). */
export function guardNetwork(before: NetworkState | undefined, after: NetworkState): NetworkWrite {
  const seq = before ? (before.seq ?? 0) : null;
  return { value: { ...after, seq: (seq ?? 0) + 1 }, expected: seq, previous: before };
}

/** Ids of the routers whose facts the core consults for these ports (`routerDependedOn`). */
export function routerIdsOf(ports: readonly Port[]): string[] {
  return ports.map(routerDependedOn).filter((id): id is string => id !== null);
}

/** The routers by id, read concurrently (independent GetItems; the tracker's checks are sorted). */
export async function loadRouters(store: FactStore, ids: Iterable<string>): Promise<Map<string, HaRouter>> {
  const unique = [...new Set(ids)].filter((id) => id !== '');
  const read = await Promise.all(unique.map((id) => store.getRouter(id)));
  const out = new Map<string, HaRouter>();
  unique.forEach((id, i) => {
    const r = read[i];
    if (r) out.set(id, r);
  });
  return out;
}

/** The agents by host, read concurrently (independent GetItems; the tracker's checks are sorted). */
export async function loadAgents(store: FactStore, hosts: Iterable<string>): Promise<Map<string, Agent>> {
  const unique = [...new Set(hosts)];
  const read = await Promise.all(unique.map((h) => store.getAgent(h)));
  const out = new Map<string, Agent>();
  unique.forEach((h, i) => {
    const a = read[i];
    if (a) out.set(h, a);
  });
  return out;
}

export function hostsOf(
  ports: readonly (Port | undefined)[],
  routers: ReadonlyMap<string, HaRouter>,
): string[] {
  const hosts = new Set<string>();
  for (const p of ports) {
    if (!p) continue;
    if (p.host) hosts.add(p.host);
    for (const h of p.dvrHosts) hosts.add(h);
    for (const h of routers.get(p.deviceId)?.hosts ?? []) hosts.add(h);
  }
  return [...hosts];
}

export function livePort(record: PortRecord | undefined): Port | undefined {
  return record && !isTombstone(record) ? record : undefined;
}

/** The network's ports with some of them replaced by their new value (or removed), sorted by id. */
export async function loadPortsWith(
  store: FactStore,
  networkId: string,
  replaced: readonly { id: string; after: Port | undefined }[],
): Promise<Port[]> {
  const ids = new Set(replaced.map((r) => r.id));
  const all = (await store.listNetworkPorts(networkId)).filter((p) => !ids.has(p.id));
  for (const r of replaced) if (r.after && r.after.networkId === networkId) all.push(r.after);
  return all.sort((a, b) => (a.id < b.id ? -1 : 1));
}
