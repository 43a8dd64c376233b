import type { FactStore } from '../app/ports.js';
import { computeAgentTable } from '../core/desired.js';
import { entryKey } from '../core/entries.js';
import type { Agent, AgentTable, Entry, HaRouter } from '../core/types.js';
import { viewsOfVips } from '../core/vip-view.js';

/** What the controller intends one agent to hold for one network, from its stored facts. */
export interface IntendedNetwork {
  readonly networkId: string;
  /** The version of the last command the controller sent this agent for the network (0: none). */
  readonly sentVersion: number;
  readonly table: AgentTable;
}

/**
 * The table the controller intends `host` to hold in each network, as the core computes it
 * (`computeAgentTable`) from the facts in the store: the network record, its ports, the agents
 * present in it, the routers of its router ports and the flags. `alsoNetworks` adds networks
 * where the controller may intend nothing (an agent that holds a network it left).
 */
export async function intendedTables(
  store: FactStore,
  host: string,
  alsoNetworks: readonly string[] = [],
): Promise<{ agent: Agent | undefined; networks: IntendedNetwork[] }> {
  const agent = await store.getAgent(host);
  const ids = [...new Set([...(await store.listHostNetworks(host)), ...alsoNetworks])].sort();
  const { flags } = await store.getFlags();
  const networks: IntendedNetwork[] = [];
  for (const networkId of ids) {
    const state = await store.getNetworkState(networkId);
    if (!state) {
      networks.push({ networkId, sentVersion: 0, table: {} });
      continue;
    }
    const ports = await store.listNetworkPorts(networkId);
    const agents = new Map<string, Agent>();
    for (const h of new Set([...Object.keys(state.index.counts), host])) {
      const a = await store.getAgent(h);
      if (a) agents.set(h, a);
    }
    const routers = new Map<string, HaRouter>();
    for (const id of new Set(
      ports.filter((p) => p.deviceOwner.startsWith('network:')).map((p) => p.deviceId),
    )) {
      const r = id ? await store.getRouter(id) : undefined;
      if (r) routers.set(id, r);
    }
    const vips = viewsOfVips(await store.listNetworkVips(networkId));
    const table = computeAgentTable({ network: state.network, agents, ports, routers, flags, vips }, host);
    networks.push({ networkId, sentVersion: state.index.members[host] ? state.version : 0, table });
  }
  return { agent, networks };
}

export type EntryStatus = 'both' | 'missing' | 'stale';

/** Entries of two tables side by side: `missing` (intended, not held) and `stale` (held, not intended). */
export function compareTables(
  intended: AgentTable,
  held: AgentTable,
): { tunnelIp: string; entry: Entry; status: EntryStatus }[] {
  const out: { tunnelIp: string; entry: Entry; status: EntryStatus }[] = [];
  for (const tunnelIp of [...new Set([...Object.keys(intended), ...Object.keys(held)])].sort()) {
    const want = new Map((intended[tunnelIp] ?? []).map((e) => [entryKey(e), e]));
    const got = new Map((held[tunnelIp] ?? []).map((e) => [entryKey(e), e]));
    for (const k of [...new Set([...want.keys(), ...got.keys()])].sort()) {
      const entry = (want.get(k) ?? got.get(k)) as Entry;
      out.push({ tunnelIp, entry, status: want.has(k) ? (got.has(k) ? 'both' : 'missing') : 'stale' });
    }
  }
  return out;
}
