import type { Commit, FactCheck, FactStore } from './ports.js';

export interface ReadTracker {
  /** The store to plan with: it remembers the agent, router and flags versions it returned. */
  readonly store: FactStore;
  /** Checks for every tracked fact the commit does not itself write (its write guard covers those). */
  checksFor(commit: Commit): FactCheck[];
}

/**
 * Optimistic read-set validation for one planning attempt. A plan depends on agents (their tunnel
 * IP and capabilities), routers (master, hosts) and flags it read without writing; if one of them
 * changes before the commit, the plan is stale. The checks make the commit fail with `conflict`
 * instead, and `runWithRetry` re-plans (docs/crash-safety.md, "cross-key races").
 */
export function trackReads(inner: FactStore): ReadTracker {
  const agents = new Map<string, number | null>();
  const routers = new Map<string, number | null>();
  let flags: number | null = null;
  const store: FactStore = {
    getNetworkState: (id) => inner.getNetworkState(id),
    readMany: (request) => inner.readMany(request),
    getPort: (id, networkId) => inner.getPort(id, networkId),
    getMacOwner: (networkId, mac) => inner.getMacOwner(networkId, mac),
    firstOwnerBetween: (networkId, from, to, excluding) =>
      inner.firstOwnerBetween(networkId, from, to, excluding),
    listNetworkPorts: (id) => inner.listNetworkPorts(id),
    listNetworkVips: (id) => inner.listNetworkVips(id),
    listVipNetworks: () => inner.listVipNetworks(),
    listRouterPorts: (id) => inner.listRouterPorts(id),
    listHostNetworks: (host) => inner.listHostNetworks(host),
    listHaNetworks: () => inner.listHaNetworks(),
    commit: (c) => inner.commit(c),
    listOutbox: (id) => inner.listOutbox(id),
    deleteOutbox: (id, key) => inner.deleteOutbox(id, key),
    async getAgent(host) {
      const agent = await inner.getAgent(host);
      if (!agents.has(host)) agents.set(host, agent ? agent.revision : null);
      return agent;
    },
    async getRouter(id) {
      const router = await inner.getRouter(id);
      if (!routers.has(id)) routers.set(id, router ? router.version : null);
      return router;
    },
    async readRouter(id) {
      const read = await inner.readRouter(id);
      if (!routers.has(id)) routers.set(id, read.router ? read.router.version : null);
      return read;
    },
    async getFlags() {
      const value = await inner.getFlags();
      flags ??= value.revision;
      return value;
    },
  };
  return {
    store,
    checksFor(commit) {
      const writtenAgents = new Set(commit.agents.map((g) => g.value.host));
      const writtenRouters = new Set(commit.routers.map((g) => g.value.id));
      const checks: FactCheck[] = [];
      for (const [host, revision] of [...agents].sort(([a], [b]) => (a < b ? -1 : 1)))
        if (!writtenAgents.has(host)) checks.push({ kind: 'agent', host, revision });
      for (const [id, version] of [...routers].sort(([a], [b]) => (a < b ? -1 : 1)))
        if (!writtenRouters.has(id)) checks.push({ kind: 'router', id, version });
      if (flags !== null && commit.flags === null) checks.push({ kind: 'flags', revision: flags });
      return checks;
    },
  };
}
