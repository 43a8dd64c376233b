import { describe, expect, it } from 'vitest';
import { isInvalidInputError } from '../../src/core/errors.js';
import { replayTrace } from '../../tools/replay/replay.js';
import { type DeviationId, deviationLabel } from '../deviations/ids.js';
import { expectedChgIps, receivedChgIp, shapeErrors } from './payload-checks.js';
import { type EntryDiff, runVector, type VectorRun } from './run-vector.js';
import { eventSteps, OBSERVER, vectorTrace } from './vector-trace.js';
import { type EventVector, eventsOf, loadEventVectors, loadFixtures, loadRawVectors } from './vectors.js';

/**
 * Conformance vectors S01-S32, S39, S40 (Neutron's `test_mech_driver.py`), by the per-agent
 * end-state rule of `cases/README.md`: after every event, each agent holds for
 * each network it is in exactly what Neutron's messages for that event leave it with, starting
 * from the same state. Each vector runs twice: with its own agents, and with an observer agent
 * added to every network, which receives every fanout and so shows the payloads we send for the
 * event. `--strategy tunnel` throughout: Neutron 21 treats HA interfaces that way.
 */

const raw = loadRawVectors();
const fixtures = loadFixtures();
const vectors = loadEventVectors(raw);
/** S41 and S43 are HA binding vectors: ha-binding-vectors.test.ts. */
const EVENT_VECTORS = [...vectors.keys()].filter((id) => id <= 'S32' || id === 'S39' || id === 'S40');

function show(d: EntryDiff): string {
  const e = d.entry[1] === '0.0.0.0' ? 'FLOOD' : d.entry.join(' ');
  return `${d.step} ${d.host} ${d.network} ${d.vtep} ${e} ${d.side}`;
}

interface Accounting {
  readonly id: DeviationId;
  /** Our intended behaviour, in the terms of this vector. */
  readonly ours: string;
  /** Every entry where our agents differ from Neutron's: `step host network vtep entry side`. */
  readonly diffs: readonly string[];
  readonly observerDiffs: readonly string[];
}

/** Vectors whose end state differs from Neutron's by a deliberate deviation, entry by entry. */
const DEVIATING: Readonly<Record<string, Accounting>> = {
  S27: {
    id: 'D7',
    ours: 'every node hosting the router is present once its interface is ACTIVE: h4 floods to the standby h2 too, and h2 holds the whole view before its agent reports the interface',
    diffs: [
      '1 h2 net1 20.0.0.4 FLOOD ours-only',
      '1 h2 net1 20.0.0.4 fa:16:3e:00:00:01 10.0.0.3 ours-only',
      '1 h4 net1 20.0.0.2 FLOOD ours-only',
    ],
    observerDiffs: ['1 observer net1 20.0.0.2 FLOOD ours-only'],
  },
  S30: {
    id: 'D10',
    ours: 'while the interface is DOWN no hosting node is present through it: h4 stops flooding to h1 and h2',
    diffs: ['1 h4 net1 20.0.0.1 FLOOD neutron-only', '1 h4 net1 20.0.0.2 FLOOD neutron-only'],
    observerDiffs: [
      '1 observer net1 20.0.0.1 FLOOD neutron-only',
      '1 observer net1 20.0.0.2 FLOOD neutron-only',
    ],
  },
};

/** Further behaviour a vector states about messages, where ours deliberately differs (D8). */
const MESSAGE_CHECKS: Readonly<
  Record<string, { id: DeviationId; ours: string; check: (r: VectorRun) => void }>
> = {
  S01: {
    id: 'D8',
    ours: 'h1 joins and gets a snapshot even though it is empty (it carries the network version); Neutron casts nothing',
    check(r) {
      expect(r.steps[0]?.commands.h1?.map((c) => c.kind)).toEqual(['snapshot']);
      const snap = r.steps[0]?.commands.h1?.[0];
      expect(snap?.kind === 'snapshot' ? snap.fdb_entries.net1?.ports : null).toEqual({});
    },
  },
  S08: {
    id: 'D8',
    ours: "h1's second ACTIVE port is not a first port: h1 gets no entry (it holds everything already), only the version step every member gets, h2 only the new unicast entry",
    check(r) {
      const last = r.steps[2];
      expect(last?.commands.h1?.map((c) => (c.kind === 'delta' ? c.payloads.length : c.kind))).toEqual([0]);
      expect(last?.commands.h2?.map((c) => c.kind)).toEqual(['delta']);
    },
  },
  S31: {
    id: 'D8',
    ours: 'refresh_tunnels makes the reporting agent ask for a snapshot of each of its networks',
    check(r) {
      expect(r.steps[0]?.commands.h4?.map((c) => c.kind)).toEqual(['snapshot']);
    },
  },
};

describe("conformance vectors S01-S32, S39, S40: per-agent end state equals Neutron's", () => {
  it('finds every event vector, and every vector S01-S45 has a test here or beside', () => {
    expect(EVENT_VECTORS).toHaveLength(34);
    // builder-vectors.test.ts: S33-S38; ha-binding-vectors.test.ts: S41-S45
    const beside = ['S33', 'S34', 'S35', 'S36', 'S37', 'S38', 'S41', 'S42', 'S43', 'S44', 'S45'];
    expect([...EVENT_VECTORS, ...beside].sort()).toEqual([...raw.keys()].sort());
  });

  for (const id of EVENT_VECTORS) {
    const v = vectors.get(id) as EventVector;
    const deviation = DEVIATING[id];
    const message = MESSAGE_CHECKS[id];
    const tag = [deviation, message]
      .filter((x) => x !== undefined)
      .map((x) => `ours: ${deviationLabel(x.id)}, ${x.ours}`)
      .join('; ');
    it(`${id} ${v.name}${tag ? ` (${tag})` : ''}`, async () => {
      const plain = await runVector(v, { fixtures, vectors });
      const observed = await runVector(v, { fixtures, vectors, observer: true });
      expect(plain.steps.flatMap((s) => s.diffs).map(show)).toEqual(deviation?.diffs ?? []);
      expect(observed.steps.flatMap((s) => s.diffs).map(show)).toEqual(deviation?.observerDiffs ?? []);
      const events = eventsOf(v);
      for (const run of [plain, observed]) {
        for (const s of run.steps) {
          // Neutron's notion of who is in each network is ours
          expect(s.ourMembers, `members after event ${s.step}`).toEqual(s.members);
          // D9: only agents present before or after the event hear about it
          for (const [host, commands] of Object.entries(s.commands))
            for (const c of commands)
              expect(
                s.ourMembersBefore.get(c.networkId)?.has(host) || s.ourMembers.get(c.networkId)?.has(host),
                `${host} got a command for ${c.networkId}, where it is not present`,
              ).toBe(true);
          expect(Object.entries(s.commands).flatMap(([h, cs]) => shapeErrors(h, cs))).toEqual([]);
          // a vector that expects no message expects no change anywhere
          if ((events[s.step - 1]?.expected ?? []).length === 0) expect(s.commands).toEqual({});
        }
      }
      // the chg_ip Neutron fans out reaches the rest of the network with the same before/after
      for (const s of observed.steps) {
        for (const chg of expectedChgIps(events[s.step - 1]?.expected ?? [])) {
          expect(receivedChgIp(s.commands[OBSERVER.host] ?? [], chg.network, chg.vtep)).toEqual({
            before: chg.before,
            after: chg.after,
          });
        }
      }
      message?.check(plain);
    });
  }
});

describe('S19: a MAC change on an ACTIVE port is rejected for good', () => {
  it('S19 changing the MAC of an ACTIVE port is refused (InvalidInputError mac_change_on_active_port), nothing changes', async () => {
    const v = vectors.get('S19') as EventVector;
    const t = vectorTrace(v, fixtures, { observer: true, vectors });
    const event = eventsOf(v)[0];
    if (!event) throw new Error('S19 has no event');
    const failed = await replayTrace(
      { agents: t.agents, networks: t.networks, steps: [...t.setup, ...eventSteps(event.event)] },
      { strategy: 'tunnel' },
    ).then(
      () => null,
      (err: unknown) => err,
    );
    const cause = (failed as Error | null)?.cause;
    expect(isInvalidInputError(cause) ? cause.code : cause).toBe('mac_change_on_active_port');
  });
});

const RP1: readonly [string, string] = ['fa:16:3e:aa:aa:01', '10.0.0.1'];
const P1: readonly [string, string] = ['fa:16:3e:00:00:01', '10.0.0.3'];
const FLOOD: readonly [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

/**
 * The HA vectors describe strategy `tunnel`. Under `master-binding` the project follows Neutron's
 * Liberty-Mitaka behaviour instead (docs/neutron-l2pop.md §3.2): the interface is an ordinary port located at the newest active claim, with a unicast
 * and ARP entry there, and the standby is no VTEP of the network. `tables` are that behaviour;
 * where ours differs (D17: the standby h2 is a VTEP too), `D17` lists every entry it adds.
 */
const MASTER_BINDING: Readonly<Record<string, { states: string; tables: Record<string, unknown> }>> = {
  S26: {
    states: 'h4 joins and is sent the master h1 with the router unicast entry; the standby h2 is no VTEP',
    tables: { h1: { '20.0.0.4': [FLOOD, P1] }, h2: {}, h4: { '20.0.0.1': [FLOOD, RP1] } },
  },
  S27: {
    states: 'the interface wired on the master announces its unicast entry at h1',
    tables: { h1: { '20.0.0.4': [FLOOD, P1] }, h2: {}, h4: { '20.0.0.1': [FLOOD, RP1] } },
  },
  S28: {
    states: "the standby's report changes nothing: only the binding host's report counts",
    tables: { h1: { '20.0.0.4': [FLOOD, P1] }, h2: {}, h4: { '20.0.0.1': [FLOOD, RP1] } },
  },
  S30: {
    states: 'the interface going DOWN on the master removes its flooding and unicast entries',
    tables: { h1: {}, h2: {}, h4: {} },
  },
};

/** D17: the standby h2 floods to h1 and h4 and is flooded to, and holds the network's table. */
const STANDBY_PRESENT: Record<string, Record<string, unknown[]>> = {
  h1: { '20.0.0.2': [FLOOD] },
  h2: { '20.0.0.1': [FLOOD, RP1], '20.0.0.4': [FLOOD, P1] },
  h4: { '20.0.0.2': [FLOOD] },
};
const D17: Readonly<Record<string, typeof STANDBY_PRESENT>> = {
  S26: STANDBY_PRESENT,
  S27: STANDBY_PRESENT,
  S28: STANDBY_PRESENT,
};

/** Neutron's §3.2 tables plus the entries a deviation adds (none overlaps a table's own VTEP). */
function withAdded(
  tables: Record<string, unknown>,
  added: Record<string, Record<string, unknown[]>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [host, t] of Object.entries(tables)) {
    const extra = added?.[host] ?? {};
    for (const vtep of Object.keys(extra))
      if (vtep in (t as object)) throw new Error(`${host} already holds ${vtep}`);
    out[host] = Object.fromEntries(
      Object.entries({ ...(t as object), ...extra }).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  }
  return out;
}

describe('HA vectors under master-binding point at the master (docs/neutron-l2pop.md §3.2)', () => {
  for (const [id, expected] of Object.entries(MASTER_BINDING)) {
    const tag = D17[id] ? ` (ours: ${deviationLabel('D17')}, the standby h2 is a VTEP too)` : '';
    it(`${id} under master-binding: ${expected.states}${tag}`, async () => {
      const v = vectors.get(id) as EventVector;
      const run = await runVector(v, { fixtures, vectors, strategy: 'master-binding' });
      const last = run.steps.at(-1);
      const tables: Record<string, unknown> = {};
      for (const host of Object.keys(expected.tables)) {
        const vteps = last?.ours.get(host)?.get('net1') ?? new Map<string, Set<string>>();
        tables[host] = Object.fromEntries(
          [...vteps].map(([vtep, keys]) => [vtep, [...keys].sort().map((k) => k.split('|'))]),
        );
      }
      expect(tables).toEqual(withAdded(expected.tables, D17[id]));
      if (id === 'S28') expect(last?.commands).toEqual({});
    });
  }
});
