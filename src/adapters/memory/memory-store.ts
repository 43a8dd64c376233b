import { type PrefixPair, sortPrefixPairs } from '../../app/aap-index.js';
import {
  type Commit,
  type CommitResult,
  type FactCheck,
  type FactStore,
  macReadKey,
  type NetworkRead,
  type NetworkState,
  type OutboxRecord,
  type PendingOutboxes,
  type ReadRequest,
  type ReadResult,
  type VersionedFlags,
  vipReadKey,
} from '../../app/ports.js';
import { isRouterPort, routerOfPort } from '../../app/router-ports.js';
import { applyDigestWrite, type DigestRecord } from '../../core/digest-record.js';
import { DEFAULT_FLAGS } from '../../core/flags.js';
import { isTombstone, type PortRecord } from '../../core/transitions.js';
import type { Agent, HaRouter, Port } from '../../core/types.js';
import type { VipRecord } from '../../core/vip-view.js';

/**
 * An in-memory FactStore: the replay command's store and the use-case tests' fake. It keeps the
 * same guards as the DynamoDB adapter (the shared contract suite runs against both).
 */
export function createMemoryStore(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const networks = new Map<string, NetworkState>();
  const ports = new Map<string, PortRecord>();
  const macs = new Map<string, string>();
  const routers = new Map<string, HaRouter>();
  const agents = new Map<string, Agent>();
  const vips = new Map<string, VipRecord>();
  /** The pair-holder index (src/app/aap-index.ts): `macReadKey(network, ip)` -> port ids. */
  const pairHolders = new Map<string, Set<string>>();
  /** The prefix-pair lists (src/app/aap-index.ts): network -> `cidr|port` -> the pair. */
  const prefixPairs = new Map<string, Map<string, PrefixPair>>();
  /** `RouterRead.portsSeq` per router: bumped by each commit that writes one of its ports. */
  const routerPortsSeq = new Map<string, number>();
  const outbox = new Map<string, Map<string, OutboxRecord & { at: string }>>();
  let flags: VersionedFlags = { flags: DEFAULT_FLAGS, revision: 0 };
  /** Drift-audit sum records by `network|host` (`network|` for the network's own). */
  const digests = new Map<string, DigestRecord>();
  const digestKey = (networkId: string, host: string | null) => `${networkId}|${host ?? ''}`;
  /** Counts reads and writes, so tests can check the O(1) cost of the incremental path. */
  const stats = { reads: 0, fullReads: 0, commits: 0, conflicts: 0 };

  /** The network write guard: the write counter (absent counts as 0), or null when there is no record. */
  const seqOf = (n: NetworkState | undefined) => (n ? (n.seq ?? 0) : null);
  const checkHolds = (k: FactCheck): boolean =>
    k.kind === 'agent'
      ? (agents.get(k.host)?.revision ?? null) === k.revision
      : k.kind === 'router'
        ? (routers.get(k.id)?.version ?? null) === k.version
        : k.kind === 'routerPorts'
          ? (routerPortsSeq.get(k.id) ?? 0) === k.seq
          : k.kind === 'vipNotHeld'
            ? vips.get(vipReadKey(k.networkId, k.ip))?.holders[k.portId] === undefined
            : k.kind === 'notOwned'
              ? macs.get(macReadKey(k.networkId, k.mac)) === undefined
              : flags.revision === k.revision;
  const livePorts = () => [...ports.values()].filter((p): p is Port => !isTombstone(p));
  const macKey = macReadKey;

  const store = {
    stats,
    /** A drift-audit sum record as a commit left it (`null`: the network's own). */
    digestRecord(networkId: string, host: string | null): DigestRecord | undefined {
      return digests.get(digestKey(networkId, host));
    },
    async getNetworkState(id) {
      stats.reads++;
      return networks.get(id);
    },
    /** One read per item, counted like the single reads; the outbox map says exactly what is pending. */
    async readMany(request: ReadRequest): Promise<ReadResult> {
      const read = {
        networks: new Map<string, NetworkRead>(),
        ports: new Map<string, PortRecord | undefined>(),
        macs: new Map<string, string | undefined>(),
      };
      for (const id of request.networks ?? []) {
        const state = await store.getNetworkState(id);
        read.networks.set(id, { state, outboxPending: (outbox.get(id)?.size ?? 0) > 0 });
      }
      for (const p of request.ports ?? []) read.ports.set(p.id, await store.getPort(p.id, p.networkId));
      for (const m of request.macs ?? [])
        read.macs.set(macReadKey(m.networkId, m.mac), await store.getMacOwner(m.networkId, m.mac));
      const readVips = new Map<string, VipRecord | undefined>();
      for (const v of request.vips ?? []) {
        stats.reads++;
        readVips.set(vipReadKey(v.networkId, v.ip), vips.get(vipReadKey(v.networkId, v.ip)));
      }
      const readHolders = new Map<string, readonly string[]>();
      for (const h of request.pairHolders ?? []) {
        stats.reads++;
        const k = macKey(h.networkId, h.ip);
        readHolders.set(k, [...(pairHolders.get(k) ?? [])].sort());
      }
      const readPrefixes = new Map<string, readonly PrefixPair[]>();
      for (const id of request.prefixPairs ?? []) {
        stats.reads++;
        readPrefixes.set(id, sortPrefixPairs([...(prefixPairs.get(id)?.values() ?? [])]));
      }
      return {
        ...read,
        ...(request.vips ? { vips: readVips } : {}),
        ...(request.flags ? { flags: await store.getFlags() } : {}),
        ...(request.pairHolders ? { pairHolders: readHolders } : {}),
        ...(request.prefixPairs ? { prefixPairs: readPrefixes } : {}),
      };
    },
    async getPort(id: string, _networkId?: string) {
      stats.reads++;
      return ports.get(id);
    },
    async getMacOwner(networkId, mac) {
      stats.reads++;
      return macs.get(macKey(networkId, mac));
    },
    async firstOwnerBetween(networkId: string, from: string, to: string, excluding: readonly string[]) {
      stats.reads++;
      const head = macKey(networkId, '');
      const found = [...macs]
        .filter(([k]) => k.startsWith(head))
        .map(([k, owner]) => ({ key: k.slice(head.length), owner }))
        .filter((m) => m.key >= from && m.key <= to && !excluding.includes(m.owner))
        .sort((a, b) => (a.key < b.key ? -1 : 1));
      return found[0];
    },
    async getRouter(id) {
      stats.reads++;
      return routers.get(id);
    },
    async getAgent(host) {
      stats.reads++;
      return agents.get(host);
    },
    async getFlags() {
      stats.reads++;
      return flags;
    },
    async listNetworkPorts(networkId) {
      stats.fullReads++;
      return livePorts().filter((p) => p.networkId === networkId);
    },
    async listNetworkVips(networkId: string) {
      stats.fullReads++;
      return [...vips.values()].filter((v) => v.networkId === networkId);
    },
    async listVipNetworks() {
      stats.reads++;
      return [...new Set([...vips.values()].map((v) => v.networkId))].sort();
    },
    async listRouterPorts(routerId) {
      stats.reads++;
      return livePorts().filter((p) => isRouterPort(p, routerId));
    },
    async listHostNetworks(host) {
      stats.reads++;
      return [...networks.values()].filter((n) => (n.index.counts[host] ?? 0) > 0).map((n) => n.network.id);
    },
    async readRouter(id: string) {
      stats.reads++;
      const router = routers.get(id);
      return {
        router,
        ports: livePorts().filter((p) => isRouterPort(p, id)),
        portsSeq: routerPortsSeq.get(id) ?? 0,
      };
    },
    async listHaNetworks() {
      stats.reads++;
      return [...networks.values()]
        .filter(
          (n) =>
            Object.keys(n.strategies).length > 0 ||
            livePorts().some((p) => p.networkId === n.network.id && routers.has(p.deviceId)),
        )
        .map((n) => n.network.id);
    },
    async commit(c: Commit): Promise<CommitResult> {
      stats.commits++;
      const ok =
        // Port items are keyed by (network, port) in DynamoDB: a record guarded under another
        // network than the one the port lives in finds no item there, so it is a conflict here too.
        c.ports.every((g) => {
          const current = ports.get(g.value.id);
          if (current && current.networkId !== g.value.networkId) return false;
          return (current?.revision ?? null) === g.expected;
        }) &&
        c.routers.every((g) => (routers.get(g.value.id)?.version ?? null) === g.expected) &&
        c.agents.every((g) => (agents.get(g.value.host)?.revision ?? null) === g.expected) &&
        (c.flags === null || flags.revision === c.flags.expected) &&
        c.networks.every((g) => seqOf(networks.get(g.value.network.id)) === g.expected) &&
        (c.checks ?? []).every((k) => checkHolds(k)) &&
        (c.vips ?? []).every(
          (g) => (vips.get(vipReadKey(g.value.networkId, g.value.ip))?.version ?? null) === g.expected,
        ) &&
        c.macs.every(
          (m) => m.owner === null || (macs.get(macKey(m.networkId, m.mac)) ?? m.owner) === m.owner,
        );
      if (!ok) {
        stats.conflicts++;
        return 'conflict';
      }
      const bumped = new Set<string>();
      for (const g of c.ports)
        for (const r of [routerOfPort(ports.get(g.value.id)), routerOfPort(g.value)])
          if (r !== null) bumped.add(r);
      for (const r of bumped) routerPortsSeq.set(r, (routerPortsSeq.get(r) ?? 0) + 1);
      for (const g of c.ports) ports.set(g.value.id, g.value);
      for (const m of c.macs) {
        const k = macKey(m.networkId, m.mac);
        if (m.owner === null) macs.delete(k);
        else macs.set(k, m.owner);
      }
      for (const h of c.pairHolders ?? []) {
        const k = macKey(h.networkId, h.ip);
        const set = pairHolders.get(k) ?? new Set<string>();
        if (h.holds) set.add(h.portId);
        else set.delete(h.portId);
        if (set.size > 0) pairHolders.set(k, set);
        else pairHolders.delete(k);
      }
      for (const w of c.prefixPairs ?? []) {
        const list = prefixPairs.get(w.networkId) ?? new Map<string, PrefixPair>();
        if (w.holds) list.set(`${w.cidr}|${w.portId}`, { cidr: w.cidr, portId: w.portId });
        else list.delete(`${w.cidr}|${w.portId}`);
        prefixPairs.set(w.networkId, list);
      }
      for (const g of c.routers) routers.set(g.value.id, g.value);
      for (const g of c.agents) agents.set(g.value.host, g.value);
      for (const g of c.vips ?? []) vips.set(vipReadKey(g.value.networkId, g.value.ip), g.value);
      if (c.flags) flags = c.flags.value;
      for (const g of c.networks) networks.set(g.value.network.id, g.value);
      for (const d of c.digests ?? [])
        for (const w of d.writes) {
          const k = digestKey(d.networkId, w.host);
          digests.set(k, applyDigestWrite(digests.get(k), w));
        }
      for (const o of c.outbox) {
        let m = outbox.get(o.networkId);
        if (!m) {
          m = new Map();
          outbox.set(o.networkId, m);
        }
        m.set(o.key, { ...o, at: new Date(now()).toISOString() });
      }
      return 'committed';
    },
    async listOutbox(networkId) {
      return [...(outbox.get(networkId)?.values() ?? [])].map(({ at: _at, ...o }) => o);
    },
    async listPendingOutboxes() {
      return [...outbox]
        .filter(([, m]) => m.size > 0)
        .map(([networkId, m]) => ({ networkId, at: [...m.values()].map((o) => o.at).sort()[0] as string }))
        .sort((a, b) => (a.networkId < b.networkId ? -1 : 1));
    },
    async deleteOutbox(networkId, key) {
      outbox.get(networkId)?.delete(key);
    },
  } satisfies FactStore & PendingOutboxes & { stats: typeof stats; digestRecord: unknown };
  return store;
}

export type MemoryStore = ReturnType<typeof createMemoryStore>;
