import type { PlannedCommand } from '../../src/core/commands.js';
import type { Agent, HaRouter, Strategy } from '../../src/core/types.js';
import { type ReplayResult, replayTrace } from '../../tools/replay/replay.js';
import {
  dropAbsent,
  type EntryKey,
  entryOf,
  foldMessages,
  neutronMembers,
  type Tables,
} from './neutron-fold.js';
import { OBSERVER, traceUpTo, type VectorTrace, vectorTrace } from './vector-trace.js';
import { type EventVector, eventsOf, type Fixtures, type VectorEvent } from './vectors.js';

/** One entry that one side holds and the other lacks, after event `step` (1-based). */
export interface EntryDiff {
  readonly step: number;
  readonly host: string;
  readonly network: string;
  readonly vtep: string;
  readonly entry: readonly [string, string];
  readonly side: 'neutron-only' | 'ours-only';
}

export interface StepOutcome {
  readonly step: number;
  readonly event: VectorEvent;
  /** What our simulated agents hold after the event. */
  readonly ours: Tables;
  /** What Neutron's messages leave its agents with (from our state before the event). */
  readonly neutron: Tables;
  /** Hosts in each network after the event, by Neutron's rule. */
  readonly members: Map<string, Set<string>>;
  /** Hosts present in each network after the event, by our store. */
  readonly ourMembers: Map<string, Set<string>>;
  /** The same before the event. */
  readonly ourMembersBefore: Map<string, Set<string>>;
  readonly diffs: EntryDiff[];
  /** Commands each host received for this event. */
  readonly commands: Record<string, PlannedCommand[]>;
}

export interface VectorRun {
  readonly trace: VectorTrace;
  /** The hosts whose tables are compared: every agent of the vector, or only the observer. */
  readonly hosts: string[];
  readonly setup: ReplayResult;
  readonly steps: StepOutcome[];
}

export interface RunOptions {
  readonly fixtures: Fixtures;
  readonly vectors: ReadonlyMap<string, EventVector>;
  readonly observer?: boolean;
  readonly strategy?: Strategy;
}

async function tablesOf(r: ReplayResult, hosts: readonly string[], nets: readonly string[]): Promise<Tables> {
  const t: Tables = new Map();
  for (const host of hosts) {
    const byNet = new Map<string, Map<string, Set<EntryKey>>>();
    for (const net of nets) {
      const table = r.agents.table(host, net);
      const vteps = new Map(
        Object.entries(table).map(([vtep, entries]) => [
          vtep,
          new Set(entries.map((e) => `${e[0]}|${e[1]}`)),
        ]),
      );
      if (vteps.size > 0) byNet.set(net, vteps);
    }
    t.set(host, byNet);
  }
  return t;
}

async function membersOf(r: ReplayResult, nets: readonly string[]) {
  const neutron = new Map<string, Set<string>>();
  const ours = new Map<string, Set<string>>();
  for (const id of nets) {
    const state = await r.store.getNetworkState(id);
    ours.set(id, new Set(Object.keys(state?.index.members ?? {})));
    if (!state) {
      neutron.set(id, new Set());
      continue;
    }
    const ports = await r.store.listNetworkPorts(id);
    const routers = new Map<string, HaRouter>();
    for (const p of ports) {
      const router = await r.store.getRouter(p.deviceId);
      if (router) routers.set(router.id, router);
    }
    const agents = new Map<string, Agent>();
    const hosts = new Set([
      ...ports.flatMap((p) => [p.host, ...p.dvrHosts]),
      ...[...routers.values()].flatMap((x) => x.hosts),
    ]);
    for (const h of hosts) {
      const a = h === '' ? undefined : await r.store.getAgent(h);
      if (a) agents.set(h, a);
    }
    neutron.set(id, neutronMembers({ network: state.network, ports, routers, agents }));
  }
  return { neutron, ours };
}

function diffTables(step: number, ours: Tables, neutron: Tables, hosts: readonly string[]): EntryDiff[] {
  const out: EntryDiff[] = [];
  for (const host of hosts) {
    const nets = new Set([...(ours.get(host)?.keys() ?? []), ...(neutron.get(host)?.keys() ?? [])]);
    for (const network of [...nets].sort()) {
      const a = ours.get(host)?.get(network) ?? new Map<string, Set<EntryKey>>();
      const b = neutron.get(host)?.get(network) ?? new Map<string, Set<EntryKey>>();
      for (const vtep of [...new Set([...a.keys(), ...b.keys()])].sort()) {
        const x = a.get(vtep) ?? new Set<EntryKey>();
        const y = b.get(vtep) ?? new Set<EntryKey>();
        for (const k of [...y].sort())
          if (!x.has(k)) out.push({ step, host, network, vtep, entry: entryOf(k), side: 'neutron-only' });
        for (const k of [...x].sort())
          if (!y.has(k)) out.push({ step, host, network, vtep, entry: entryOf(k), side: 'ours-only' });
      }
    }
  }
  return out;
}

function commandsSince(before: ReplayResult, after: ReplayResult): Record<string, PlannedCommand[]> {
  const out: Record<string, PlannedCommand[]> = {};
  for (const [host, list] of Object.entries(after.messages)) {
    const fresh = list.slice(before.messages[host]?.length ?? 0);
    if (fresh.length > 0) out[host] = fresh;
  }
  return out;
}

/**
 * Runs a vector event by event. After each event it sets what our agents hold beside what
 * Neutron's messages for that event would leave Neutron's agents with, starting from the same
 * state (ours before the event) and folding on from Neutron's side for the next event. An agent
 * holds nothing for a network it is not in (`cases/README.md`: the per-agent end-state rule).
 */
export async function runVector(v: EventVector, opts: RunOptions): Promise<VectorRun> {
  const strategy = opts.strategy ?? 'tunnel';
  const trace = vectorTrace(v, opts.fixtures, { observer: opts.observer ?? false, vectors: opts.vectors });
  const nets = trace.networks.map((n) => n.id);
  const allHosts = trace.agents.map((a) => a.host);
  const hosts = opts.observer ? [OBSERVER.host] : allHosts.filter((h) => h !== OBSERVER.host);
  const tunnelIps = new Map(trace.agents.map((a) => [a.host, a.tunnel_ip]));
  const setup = await replayTrace(traceUpTo(trace, 0), { strategy });
  let previous = setup;
  let ourMembersBefore = (await membersOf(setup, nets)).ours;
  let neutron = await tablesOf(setup, allHosts, nets);
  const steps: StepOutcome[] = [];
  for (const [i, { event, expected }] of eventsOf(v).entries()) {
    const result = await replayTrace(traceUpTo(trace, i + 1), { strategy });
    const members = await membersOf(result, nets);
    neutron = dropAbsent(foldMessages(neutron, expected, tunnelIps), members.neutron);
    const ours = await tablesOf(result, allHosts, nets);
    steps.push({
      step: i + 1,
      event,
      ours,
      neutron,
      members: members.neutron,
      ourMembers: members.ours,
      ourMembersBefore,
      diffs: diffTables(i + 1, ours, neutron, hosts),
      commands: commandsSince(previous, result),
    });
    previous = result;
    ourMembersBefore = members.ours;
  }
  return { trace, hosts, setup, steps };
}
