import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { FLOODING_MAC } from '../../agent/kernel-values.js';
import type { AgentTable } from '../../src/core/types.js';
import { createStrictAgents } from '../../tools/sim/strict-agents.js';
import { createFakeKernel } from '../agent/fake-kernel.js';
import { agentConfig, LOCAL } from '../agent/fixtures.js';

/**
 * The reference agent (over the fake kernel) and a strict simulated agent (tools/sim/strict-agents.ts)
 * behind one interface, so one command stream can be fed to both and their answers compared.
 */
export interface AgentUnderTest {
  /** The outcome's kind, and its code when refused. */
  handle(body: string): Promise<{ kind: string; code?: string }>;
  /** The networks it asked a snapshot for since the last call. */
  resyncs(): string[];
  /** Its version of a network, a `leave`'s included (0: none). */
  version(networkId: string): number;
  /** What the VXLAN device of `vni` holds (`mac dst` and `ip mac` lines, sorted). */
  device(vni: number): { fdb: string[]; neigh: string[] };
}

const HOST = 'compute1';

export function referenceAgent(): AgentUnderTest {
  const kernel = createFakeKernel();
  const sent: string[] = [];
  const agent = createAgent({
    config: agentConfig({ host: HOST, resyncIntervalMs: 0 }),
    executor: kernel,
    log: createMemoryLogger(),
    send: async (e) => {
      if (e.type === 'agent.resync') sent.push(e.networkId ?? '');
    },
    now: () => 1_000_000,
  });
  return {
    async handle(body) {
      const o = await agent.handle(body);
      return o.kind === 'rejected' ? { kind: o.kind, code: o.code } : { kind: o.kind };
    },
    resyncs: () => sent.splice(0, sent.length),
    version: (n) => agent.held(n)?.version ?? 0,
    device: (vni) => kernel.table(`vx-${vni}`),
  };
}

/** A table as the device of a `proxy` agent holds it: the FDB by MAC, the ARP entries by IP. */
export function deviceOf(table: AgentTable): { fdb: string[]; neigh: string[] } {
  const fdb = new Set<string>();
  const neigh = new Set<string>();
  for (const [vtep, entries] of Object.entries(table))
    for (const [mac, ip] of entries) {
      fdb.add(`${mac} ${vtep}`);
      if (mac !== FLOODING_MAC) neigh.add(`${ip} ${mac}`);
    }
  return { fdb: [...fdb].sort(), neigh: [...neigh].sort() };
}

export function simulatedAgent(): AgentUnderTest {
  const strict = createStrictAgents();
  /** Per network, the segment of its last applied snapshot or delta. */
  const segments = new Map<string, number>();
  return {
    async handle(body) {
      const o = strict.deliver(HOST, LOCAL, body);
      if (o.kind === 'applied' && o.command === 'leave') segments.delete(o.networkId);
      else if (o.kind === 'applied')
        segments.set(o.networkId, (JSON.parse(body) as { segment: { segmentId: number } }).segment.segmentId);
      return o.kind === 'rejected' ? { kind: o.kind, code: o.code } : { kind: o.kind };
    },
    resyncs: () => strict.takeResyncs(HOST).map((r) => r.networkId),
    version: (n) => strict.tables.version(HOST, n),
    device: (vni) => {
      const n = [...segments].find(([, v]) => v === vni)?.[0];
      return deviceOf(n === undefined ? {} : strict.tables.table(HOST, n));
    },
  };
}
