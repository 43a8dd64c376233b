import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PortContribution } from '../../src/core/contribution.js';
import { computeContributions, computeDesiredNetwork, computeIndex } from '../../src/core/desired.js';
import {
  addToDigest,
  computeHoldsArp,
  computeTableDigest,
  computeViewDigest,
  type DataPlaneEntry,
  dataPlaneEntryKey,
  digestsEqual,
  emptyDigestAccumulator,
  finishDigest,
} from '../../src/core/digest.js';
import {
  addContributionDigest,
  addMemberDigest,
  computeDesiredDigest,
  computeNetworkDigestSums,
  emptyNetworkDigestSums,
  type NetworkDigestSums,
} from '../../src/core/digest-sums.js';
import type { Member } from '../../src/core/membership.js';
import { OWNER } from '../../src/core/owners.js';
import type { Agent, FlagSettings, HaRouter, NetworkFacts, Port, Strategy } from '../../src/core/types.js';
import { agentFor, HOSTS, haPort, macOf, NETWORK } from './arbitraries.js';

const octet = fc.integer({ min: 1, max: 6 });
const vtep = octet.map((i) => `192.0.2.${i}`);
const mac = octet.map((i) => `fa:16:3e:00:00:0${i}`);
const ip = octet.map((i) => `10.0.0.${i}`);
const entryArb: fc.Arbitrary<DataPlaneEntry> = fc.oneof(
  vtep.map((v) => ({ kind: 'flood' as const, vtep: v })),
  fc.record({ kind: fc.constant('unicast' as const), mac, vtep }),
  fc.record({ kind: fc.constant('arp' as const), ip, mac }),
);

describe('view digest', () => {
  it('a view built entry by entry, with adds and removes, has the digest of its final set', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ add: fc.boolean(), e: entryArb }), { maxLength: 60 }), (ops) => {
        const held = new Map<string, DataPlaneEntry>();
        const acc = emptyDigestAccumulator();
        for (const { add, e } of ops) {
          const key = dataPlaneEntryKey(e);
          if (add && !held.has(key)) {
            held.set(key, e);
            addToDigest(acc, e, 1);
          } else if (!add && held.has(key)) {
            held.delete(key);
            addToDigest(acc, e, -1);
          }
        }
        expect(finishDigest(acc)).toEqual(computeViewDigest(held.values()));
      }),
    );
  });

  it('does not depend on the order of the entries, and counts a duplicate once', () => {
    fc.assert(
      fc.property(
        fc
          .array(entryArb, { maxLength: 30 })
          .chain((e) =>
            fc.tuple(fc.constant(e), fc.shuffledSubarray(e, { minLength: e.length, maxLength: e.length })),
          ),
        ([entries, shuffled]) => {
          expect(computeViewDigest(shuffled)).toEqual(computeViewDigest(entries));
          expect(computeViewDigest([...entries, ...entries])).toEqual(computeViewDigest(entries));
        },
      ),
    );
  });

  it('changes when one entry is added, removed or replaced by another', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { selector: dataPlaneEntryKey, minLength: 1 }),
        entryArb,
        (set, other) => {
          const rest = set.slice(1);
          const base = computeViewDigest(set);
          expect(digestsEqual(computeViewDigest(rest), base)).toBe(false);
          const key = dataPlaneEntryKey(other);
          if (set.some((e) => dataPlaneEntryKey(e) === key)) return;
          expect(digestsEqual(computeViewDigest([...set, other]), base)).toBe(false);
          expect(digestsEqual(computeViewDigest([other, ...rest]), base)).toBe(false);
        },
      ),
    );
  });

  it('is 16 hex digits with a count per kind; the empty view sums to zero', () => {
    expect(computeViewDigest([])).toEqual({ counts: { flood: 0, unicast: 0, arp: 0 }, sum: '0'.repeat(16) });
    const d = computeViewDigest([{ kind: 'unicast', mac: 'FA:16:3E:00:00:01', vtep: '192.0.2.1' }]);
    expect(d.sum).toMatch(/^[0-9a-f]{16}$/);
    expect(d).toEqual(computeViewDigest([{ kind: 'unicast', mac: 'fa:16:3e:00:00:01', vtep: '192.0.2.1' }]));
  });

  it('counts a MAC with two IPs as one FDB entry and two ARP entries', () => {
    const table = {
      '192.0.2.1': [
        ['fa:16:3e:00:00:01', '10.0.0.1'],
        ['fa:16:3e:00:00:01', '10.0.0.2'],
      ],
    } as const;
    expect(computeTableDigest(table, true).counts).toEqual({ flood: 0, unicast: 1, arp: 2 });
    expect(computeTableDigest(table, false).counts).toEqual({ flood: 0, unicast: 1, arp: 0 });
  });
});

// ---- random networks: the incremental sums against the full recompute (`computeDesiredNetwork`) ----

const STRATS: Strategy[] = ['tunnel', 'master-binding', 'auto'];
const strategyArb = fc.constantFrom(...STRATS);
const capsArb = fc.constantFrom(
  { learning: true, arp: 'responder' as const },
  { learning: true, arp: 'off' as const },
  { learning: false, arp: 'off' as const },
  { learning: false, arp: 'proxy' as const },
  { learning: true, arp: 'proxy' as const },
);
const agentArb = fc.record({
  tunnel: fc.constantFrom(true, true, true, false),
  types: fc.constantFrom('vxlan', 'vxlan', 'vxlan', 'gre'),
  caps: capsArb,
});
const portArb = fc.record({
  host: fc.constantFrom(...HOSTS, ''),
  active: fc.constantFrom(true, true, true, false),
  ips: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 3 }),
  dvr: fc.constantFrom(false, false, false, true),
});
const factsArb: fc.Arbitrary<NetworkFacts> = fc
  .record({
    agents: fc.array(agentArb, { minLength: HOSTS.length, maxLength: HOSTS.length }),
    ports: fc.array(portArb, { maxLength: 8 }),
    routerHosts: fc.subarray([...HOSTS]),
    states: fc.dictionary(
      fc.constantFrom(...HOSTS),
      fc.constantFrom('active', 'standby', 'fault') as fc.Arbitrary<'active' | 'standby' | 'fault'>,
    ),
    haPorts: fc.subarray(['ha', 'snat', 'gateway'] as const),
    haActive: fc.boolean(),
    haIps: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
    flags: fc.record({
      defaultStrategy: strategyArb,
      rollout: fc.option(fc.record({ percent: fc.integer({ min: 0, max: 100 }), strategy: strategyArb })),
      networks: fc.dictionary(fc.constant('net1'), strategyArb, { maxKeys: 1 }),
      routers: fc.dictionary(fc.constant('r1'), strategyArb, { maxKeys: 1 }),
    }) as fc.Arbitrary<FlagSettings>,
  })
  .map((r) => {
    const agents = new Map<string, Agent>(
      HOSTS.map((h, i) => {
        const a = r.agents[i];
        const opts: Partial<Agent> = a
          ? { networkTypes: [a.types], capabilities: a.caps, ...(a.tunnel ? {} : { tunnelIp: null }) }
          : {};
        return [h, agentFor(h, opts)] as const;
      }),
    );
    const ports: Port[] = r.ports.map((p, slot) => ({
      id: `p${slot}`,
      networkId: 'net1',
      mac: macOf(slot),
      ips: p.ips.map((i) => `10.0.1.${i}`),
      deviceOwner: p.dvr ? OWNER.dvrInterface : 'compute:nova',
      deviceId: `vm${slot}`,
      host: p.host,
      status: p.active ? 'ACTIVE' : 'DOWN',
      dvrHosts: p.dvr && p.host ? [p.host] : [],
      revision: 1,
    }));
    for (const owner of r.haPorts)
      ports.push(haPort({ kind: 'ha-port', active: r.haActive, ips: r.haIps, owner }, 1));
    const router: HaRouter = {
      id: 'r1',
      hosts: [...r.routerHosts].sort(),
      states: Object.fromEntries(
        Object.entries(r.states).map(([h, state], i) => [h, { state, order: { term: 1, seq: i } }]),
      ),
      revision: 1,
      version: 1,
    };
    return { network: NETWORK, agents, ports, routers: new Map([['r1', router]]), flags: r.flags };
  });

/** Every present agent: the digest from the sums equals the digest of its fully recomputed table. */
function expectSumsMatchRecompute(facts: NetworkFacts, sums: NetworkDigestSums): number {
  const desired = computeDesiredNetwork(facts);
  let checked = 0;
  for (const [host, table] of desired.views) {
    const holdsArp = computeHoldsArp(facts.agents.get(host)?.capabilities ?? { learning: true, arp: 'off' });
    expect(computeDesiredDigest(sums, host, desired.index.members, holdsArp)).toEqual(
      computeTableDigest(table, holdsArp),
    );
    checked++;
  }
  for (const host of HOSTS) {
    if (!desired.views.has(host))
      expect(computeDesiredDigest(sums, host, desired.index.members, true)).toBeNull();
  }
  return checked;
}

/**
 * The incremental path an engine would take between two fact sets: remove what changed with the
 * members it was rendered against, add it back with the new ones. A port whose contribution and
 * whose entries' members are unchanged is not touched.
 */
function applyChange(
  sums: NetworkDigestSums,
  before: { contributions: Map<string, PortContribution>; members: Readonly<Record<string, Member>> },
  after: { contributions: Map<string, PortContribution>; members: Readonly<Record<string, Member>> },
): number {
  const same = (c: PortContribution) =>
    c.entries.every((e) => JSON.stringify(before.members[e.host]) === JSON.stringify(after.members[e.host]));
  let touched = 0;
  for (const id of new Set([...before.contributions.keys(), ...after.contributions.keys()])) {
    const b = before.contributions.get(id);
    const a = after.contributions.get(id);
    if (b && a && JSON.stringify(a) === JSON.stringify(b) && same(b)) continue;
    touched++;
    if (b) addContributionDigest(sums, b, before.members, -1);
    if (a) addContributionDigest(sums, a, after.members, 1);
  }
  for (const host of HOSTS) {
    const b = before.members[host];
    const a = after.members[host];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (b) addMemberDigest(sums, host, b, -1);
    if (a) addMemberDigest(sums, host, a, 1);
  }
  return touched;
}

function stateOf(facts: NetworkFacts) {
  const contributions = computeContributions(facts);
  const { members } = computeIndex(facts, contributions);
  return {
    contributions: new Map(facts.ports.map((p, i) => [p.id, contributions[i] as PortContribution])),
    members,
  };
}

describe('desired digest from network sums', () => {
  it('equals the digest of every present agent’s fully recomputed view, on random networks', () => {
    let views = 0;
    fc.assert(
      fc.property(factsArb, (facts) => {
        views += expectSumsMatchRecompute(facts, computeNetworkDigestSums(facts));
      }),
      { numRuns: 300 },
    );
    expect(views).toBeGreaterThan(300);
  });

  it('kept incrementally over a random history of networks, still equals the full recompute', () => {
    fc.assert(
      fc.property(fc.array(factsArb, { minLength: 2, maxLength: 6 }), (history) => {
        const sums = emptyNetworkDigestSums();
        let prev = stateOf({ ...(history[0] as NetworkFacts), ports: [], agents: new Map() });
        for (const facts of history) {
          const next = stateOf(facts);
          applyChange(sums, prev, next);
          expectSumsMatchRecompute(facts, sums);
          prev = next;
        }
      }),
      { numRuns: 100 },
    );
  });

  it('covers tunnel and master-binding views of an auto HA router, with and without ARP entries', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(factsArb, (facts) => {
        const desired = computeDesiredNetwork(facts);
        for (const [host, m] of Object.entries(desired.index.members)) {
          const arp = computeHoldsArp(facts.agents.get(host)?.capabilities ?? { learning: true, arp: 'off' });
          seen.add(`${m.haView}/${arp}`);
        }
      }),
      { numRuns: 200 },
    );
    expect([...seen].sort()).toEqual([
      'master-binding/false',
      'master-binding/true',
      'tunnel/false',
      'tunnel/true',
    ]);
  });
});
