import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ReplayResult, replayTrace } from '../../tools/replay/replay.js';
import { type Trace, traceSchema } from '../../tools/replay/trace.js';
import { type DeviationId, deviationLabel } from '../deviations/ids.js';
import type { NeutronSim } from '../neutron/model.js';
import { type SimHistory, simulateTrace } from '../neutron/simulate.js';

/** The oracle examples and Neutron's stored messages for each (test/fixtures/neutron-examples/README.md). */
const EXAMPLES = path.resolve(import.meta.dirname, '../fixtures/neutron-examples');

interface Notification {
  step: number;
  method: string;
  target: string;
  payload: Record<string, unknown>;
}
type Entries = [string, string][];
type Fdb = Record<string, Record<string, Record<string, Entries>>>;
type ChgIp = Record<string, Record<string, { before?: Entries; after?: Entries }>>;

interface FoldContext {
  readonly trace: Trace;
  readonly sim: NeutronSim;
  readonly history: SimHistory;
  /** Network id (as in the payloads) -> name. */
  readonly nameOf: ReadonlyMap<string, string>;
}

/**
 * A deliberate deviation (docs/deviations.md), as the Neutron messages or entries our controller
 * does not send: `skips` returns true for one entry of one message as one host receives it.
 */
type Skip = (ctx: FoldContext, n: Notification, host: string, network: string, vtep: string) => boolean;

const SKIPS: Partial<Record<DeviationId, Skip>> = {
  /** D1: Neutron never withdraws the VTEP an agent gave up in a restart with a new tunnel IP. */
  D1: (ctx, _n, _host, _network, vtep) =>
    ctx.sim.retiredTunnelIps.has(vtep) && ![...ctx.sim.agents.values()].some((a) => a.tunnelIp === vtep),
  /** D2: we send no `chg_ip` for a port that is not ACTIVE. */
  D2: (ctx, n) => {
    const step = ctx.trace.steps[n.step];
    if (n.method !== 'update_fdb_entries' || step?.op !== 'update_ips') return false;
    return ctx.history.portsBefore[n.step]?.get(step.port)?.status !== 'ACTIVE';
  },
  /** D3: a full sync (a cast) shows no VTEP of an agent that does not l2pop the network's type. */
  D3: (ctx, n, _host, network, vtep) => {
    const owner = ctx.sim.hostOfTunnelIp(vtep);
    return n.target !== 'fanout' && owner !== undefined && !ctx.sim.l2pops(owner, network);
  },
};

/** Which deviations each example shows; every other example must equal Neutron exactly. */
const EXPECTED_DEVIATIONS: Readonly<Record<string, readonly DeviationId[]>> = {
  '05_ip_change.json': ['D2'],
  '06_agent_restart.json': ['D1'],
  '09_network_types.json': ['D3'],
};

/** A host's own tunnel IP when a message of `step` reached it: agents skip their own VTEP. */
function ownIp(ctx: FoldContext, host: string, step: number): string | undefined {
  return ctx.history.tunnelIpsBefore[step + 1]?.get(host) ?? ctx.sim.agents.get(host)?.tunnelIp;
}

/**
 * Replays Neutron's messages onto every agent, like the oracle's `fold_state`, except that a host
 * skips its tunnel IP of the moment (a real agent's `local_ip`), and that the given deviations'
 * messages or entries are left out.
 */
function foldNeutron(ctx: FoldContext, out: readonly Notification[], skips: readonly Skip[]): Fdb {
  const hosts = [...ctx.sim.agents.keys()];
  const state: Fdb = {};
  const apply = (n: Notification, host: string, net: string, vtep: string, add: Entries, remove: Entries) => {
    const network = ctx.nameOf.get(net) ?? net;
    if (vtep === ownIp(ctx, host, n.step) || skips.some((s) => s(ctx, n, host, network, vtep))) return;
    const cur = (((state[host] ??= {})[network] ??= {})[vtep] ??= []);
    for (const e of remove) {
      const i = cur.findIndex((x) => x.join() === e.join());
      if (i >= 0) cur.splice(i, 1);
    }
    for (const e of add) if (!cur.some((x) => x.join() === e.join())) cur.push(e);
  };
  for (const n of out) {
    for (const host of n.target === 'fanout' ? hosts : [n.target]) {
      if (n.method === 'update_fdb_entries') {
        for (const [net, perVtep] of Object.entries((n.payload as { chg_ip: ChgIp }).chg_ip))
          for (const [vtep, chg] of Object.entries(perVtep))
            apply(n, host, net, vtep, chg.after ?? [], chg.before ?? []);
        continue;
      }
      for (const [net, body] of Object.entries(
        n.payload as Record<string, { ports: Record<string, Entries> }>,
      ))
        for (const [vtep, entries] of Object.entries(body.ports)) {
          const adding = n.method === 'add_fdb_entries';
          apply(n, host, net, vtep, adding ? entries : [], adding ? [] : entries);
        }
    }
  }
  return state;
}

function normalise(t: Readonly<Record<string, readonly (readonly string[])[]>> | undefined) {
  const out: Record<string, string[][]> = {};
  for (const [ip, entries] of Object.entries(t ?? {}))
    if (entries.length > 0) out[ip] = entries.map((e) => [...e]).sort();
  return out;
}

/** Present pairs by our store, and the table each of our agents holds there. */
async function ourPairs(ours: ReplayResult, trace: Trace): Promise<Map<string, Record<string, string[][]>>> {
  const out = new Map<string, Record<string, string[][]>>();
  for (const n of trace.networks) {
    const id = n.id ?? n.name;
    const state = await ours.store.getNetworkState(id);
    for (const host of Object.keys(state?.index.members ?? {}))
      out.set(`${host} ${n.name}`, normalise(ours.agents.table(host, id)));
  }
  return out;
}

function neutronPairs(ctx: FoldContext, fdb: Fdb): Map<string, Record<string, string[][]>> {
  const out = new Map<string, Record<string, string[][]>>();
  for (const n of ctx.trace.networks)
    for (const host of ctx.sim.members(n.name)) out.set(`${host} ${n.name}`, normalise(fdb[host]?.[n.name]));
  return out;
}

describe('replay --strategy tunnel ends where Neutron 21 ends, on every oracle example', () => {
  const files = readdirSync(EXAMPLES).filter((f) => /^\d\d_.*\.json$/.test(f) && !f.endsWith('.out.json'));
  it('finds the examples', () => expect(files.length).toBe(9));
  for (const file of files) {
    const deviations = EXPECTED_DEVIATIONS[file] ?? [];
    const tag = deviations.length > 0 ? ` (ours: ${deviations.map(deviationLabel).join(', ')})` : '';
    it(`${file}: every present agent holds what Neutron's messages leave it with${tag}`, async () => {
      const raw: unknown = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8'));
      const trace = traceSchema.parse(raw);
      const { sim, history } = simulateTrace(raw);
      const out = JSON.parse(
        readFileSync(path.join(EXAMPLES, file.replace('.json', '.out.json')), 'utf8'),
      ) as Notification[];
      const ctx: FoldContext = {
        trace,
        sim,
        history,
        nameOf: new Map(trace.networks.map((n) => [n.id ?? n.name, n.name])),
      };
      const ours = await ourPairs(await replayTrace(raw, { strategy: 'tunnel' }), trace);
      const skipsOf = (ids: readonly DeviationId[]) =>
        ids.map((id) => SKIPS[id]).filter((s) => s !== undefined);
      // The present (host, network) pairs are Neutron's, and each holds Neutron's table up to the
      // example's deviations...
      expect(ours).toEqual(neutronPairs(ctx, foldNeutron(ctx, out, skipsOf(deviations))));
      // ...each of which is needed: without it, the tables differ.
      for (const id of deviations) {
        const others = skipsOf(deviations.filter((d) => d !== id));
        expect(ours, `${file} without ${id}`).not.toEqual(neutronPairs(ctx, foldNeutron(ctx, out, others)));
      }
    });
  }
});
