import { expect } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import type { PortChangeEvent } from '../../src/app/on-port-changes.js';
import type { CommandPublisher, FactStore, OutboxRecord } from '../../src/app/ports.js';
import type { Deps } from '../../src/app/reconcile.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { toNetwork, toPort } from '../../src/contracts/parse.js';
import { applyAgentCommand, type HeldNetwork } from '../../src/core/agent-protocol.js';
import type { Agent, AgentTable } from '../../src/core/types.js';

export interface AppliedAgentsOptions {
  /** The store's and the use-cases' clock (ms), fixed; none: the store's own (`Date.now`). */
  readonly now?: number;
  /** The actions every command must get from its agent; `null`: not checked. */
  readonly accept?: readonly string[] | null;
}

/**
 * The in-memory store and a publisher that hands every command to the host's agent state
 * (`applyAgentCommand`, the reference agent's protocol), checking the action it gets: the bed of
 * the use-case tests that assert what each agent ends up holding.
 */
export function createAppliedAgents(options: AppliedAgentsOptions = {}) {
  const { now } = options;
  const accept = options.accept === undefined ? ['applied', 'partial'] : options.accept;
  const store = createMemoryStore(now === undefined ? {} : { now: () => now });
  const held = new Map<string, HeldNetwork | undefined>();
  const published: OutboxRecord[] = [];
  const publisher: CommandPublisher = {
    async publish(record) {
      published.push(record);
      for (const { host, command } of record.commands) {
        const applied = applyAgentCommand(held.get(host), command);
        if (accept) expect(accept).toContain(applied.action);
        held.set(host, applied.state);
      }
    },
  };
  const deps: Deps = { store, publisher, ...(now === undefined ? {} : { now: () => now }) };
  /** The table an agent holds for its network (the tests' beds hold one network). */
  const table = (host: string): AgentTable => held.get(host)?.table ?? {};
  return { store, held, published, publisher, deps, table };
}

/** A parsed port event as the coalesced path (`onPortChanges`) takes it. */
export function toPortChangeEvent(e: InboundEvent): PortChangeEvent {
  if (e.type === 'port.upsert') return { network: toNetwork(e.network), next: toPort(e) };
  if (e.type === 'port.delete')
    return {
      network: null,
      next: { id: e.portId, networkId: e.networkId, revision: e.revision, deleted: true },
    };
  throw new Error(`not a port event: ${e.type}`);
}

/** The agents of `hosts` the store holds, by host, as the full recompute takes them. */
export async function storedAgents(store: FactStore, hosts: readonly string[]): Promise<Map<string, Agent>> {
  const agents = new Map<string, Agent>();
  for (const h of hosts) {
    const a = await store.getAgent(h);
    if (a) agents.set(h, a);
  }
  return agents;
}
