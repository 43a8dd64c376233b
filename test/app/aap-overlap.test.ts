import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { onPortChanges, type PortChangeEvent } from '../../src/app/on-port-changes.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent, toNetwork, toPort } from '../../src/contracts/parse.js';
import { findAapOverlap } from '../../src/core/aap.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import type { Port } from '../../src/core/types.js';

/**
 * The overlap rule (`aap_overlaps_fixed_ip`, src/core/aap.ts) enforced by the port events for
 * bare-address and prefix pairs (src/app/aap-index.ts): the app refuses exactly what the pure rule
 * refuses against the live ports, in either direction and any order, and a refusal changes nothing.
 */
const NET = { id: 'n1', networkType: 'vxlan', segmentId: 100 };
const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];

interface Spec {
  readonly id: string;
  readonly ip: string;
  /** Several fixed IPs (then `ip` is ignored). */
  readonly ips?: readonly string[];
  readonly host: string;
  readonly pairs: readonly string[];
  readonly revision: number;
}

const upsert = (p: Spec): InboundEvent =>
  parseInboundEvent(
    JSON.stringify({
      v: 1,
      type: 'port.upsert',
      network: NET,
      port: {
        id: p.id,
        networkId: NET.id,
        mac: `fa:16:3e:00:00:0${p.id.slice(1)}`,
        ips: p.ips ?? [p.ip],
        deviceOwner: 'compute:nova',
        deviceId: `vm-${p.id}`,
        host: p.host,
        status: 'ACTIVE',
        dvrHosts: [],
        revision: p.revision,
        allowedAddressPairs: p.pairs.map((ipAddress) => ({ ipAddress })),
      },
    }),
  );

function bed() {
  const store = createMemoryStore();
  const deps = { store, publisher: { publish: async () => {} } };
  const one = async (e: InboundEvent): Promise<string> => {
    try {
      return (await dispatchEvent(deps, e)).outcome;
    } catch (err) {
      if (isInvalidInputError(err)) return `rejected:${err.code}`;
      throw err;
    }
  };
  return { store, deps, one };
}

const toEvent = (e: InboundEvent): PortChangeEvent => {
  if (e.type !== 'port.upsert') throw new Error('upserts only');
  return { network: toNetwork(e.network), next: toPort(e) };
};

describe('aap_overlaps_fixed_ip in the port events (bare-address pairs)', () => {
  it('refuses a pair on a bound port’s address, and a bound port inside a pair; unbound reservations pass', async () => {
    const b = bed();
    expect(await b.one(upsert({ id: 'p1', ip: '10.0.0.1', host: 'h1', pairs: [], revision: 1 }))).toBe(
      'applied',
    );
    const refused = upsert({ id: 'p2', ip: '10.0.0.2', host: 'h2', pairs: ['10.0.0.1'], revision: 1 });
    expect(await b.one(refused)).toBe('rejected:aap_overlaps_fixed_ip');
    expect(await b.store.getPort('p2', 'n1')).toBeUndefined();
    // The reservation pattern: an unbound port owns the VIP, two VM ports carry it as a pair.
    expect(await b.one(upsert({ id: 'p3', ip: '10.0.0.3', host: '', pairs: [], revision: 1 }))).toBe(
      'applied',
    );
    for (const id of ['p2', 'p4'])
      expect(
        await b.one(
          upsert({
            id,
            ip: id === 'p2' ? '10.0.0.2' : '10.0.0.4',
            host: 'h2',
            pairs: ['10.0.0.3'],
            revision: 1,
          }),
        ),
      ).toBe('applied');
    // Binding the reservation port now would give agents a second owner of 10.0.0.3.
    expect(await b.one(upsert({ id: 'p3', ip: '10.0.0.3', host: 'h3', pairs: [], revision: 2 }))).toBe(
      'rejected:aap_overlaps_fixed_ip',
    );
    expect((await b.store.getPort('p3', 'n1'))?.revision).toBe(1);
    // Once both pairs are gone, it may bind.
    for (const [id, ip] of [
      ['p2', '10.0.0.2'],
      ['p4', '10.0.0.4'],
    ] as const)
      expect(await b.one(upsert({ id, ip, host: 'h2', pairs: [], revision: 2 }))).toBe('applied');
    expect(await b.one(upsert({ id: 'p3', ip: '10.0.0.3', host: 'h3', pairs: [], revision: 2 }))).toBe(
      'applied',
    );
    // A port's pair may cover its own fixed IP.
    expect(
      await b.one(upsert({ id: 'p1', ip: '10.0.0.1', host: 'h1', pairs: ['10.0.0.1'], revision: 2 })),
    ).toBe('applied');
  });

  it('the coalesced path refuses the one record and keeps the others', async () => {
    const b = bed();
    expect(await b.one(upsert({ id: 'p1', ip: '10.0.0.1', host: 'h1', pairs: [], revision: 1 }))).toBe(
      'applied',
    );
    const out = await onPortChanges(b.deps, 'n1', [
      toEvent(upsert({ id: 'p2', ip: '10.0.0.2', host: 'h2', pairs: ['10.0.0.3'], revision: 1 })),
      toEvent(upsert({ id: 'p3', ip: '10.0.0.3', host: 'h3', pairs: [], revision: 1 })),
      toEvent(upsert({ id: 'p4', ip: '10.0.0.4', host: 'h2', pairs: ['10.0.0.1'], revision: 1 })),
      toEvent(upsert({ id: 'p5', ip: '10.0.0.5', host: 'h2', pairs: ['10.0.0.3'], revision: 1 })),
    ]);
    expect(out.map((o) => (o.kind === 'rejected' ? o.error.code : o.result.outcome))).toEqual([
      'applied',
      'aap_overlaps_fixed_ip',
      'aap_overlaps_fixed_ip',
      'applied',
    ]);
    expect((await b.store.listNetworkPorts('n1')).map((p) => p.id).sort()).toEqual(['p1', 'p2', 'p5']);
  });

  it('accepts exactly what the pure rule accepts against the live ports, in any order (300 runs)', async () => {
    const spec = fc.record({
      id: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
      ip: fc.constantFrom(...IPS),
      host: fc.constantFrom('', 'h1', 'h2'),
      pairs: fc.subarray(IPS, { maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { maxLength: 14 }), fc.boolean(), async (specs, coalesce) => {
        const b = bed();
        const revisions = new Map<string, number>();
        const events = specs.map((s) => {
          const revision = (revisions.get(s.id) ?? 0) + 1;
          revisions.set(s.id, revision);
          return upsert({ ...s, revision });
        });
        for (const e of events) {
          if (e.type !== 'port.upsert') continue;
          const port = toPort(e);
          const live = await b.store.listNetworkPorts('n1');
          const expected = findAapOverlap(port, live) === null;
          const outcome = coalesce
            ? await onPortChanges(b.deps, 'n1', [toEvent(e)]).then(([o]) =>
                o?.kind === 'rejected' ? `rejected:${o.error.code}` : 'applied',
              )
            : await b.one(e);
          if (outcome === 'rejected:aap_overlaps_fixed_ip') expect(expected).toBe(false);
          else if (outcome === 'applied') expect(expected).toBe(true);
        }
        const live = await b.store.listNetworkPorts('n1');
        for (const p of live) expect(findAapOverlap(p, live)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

describe('aap_overlaps_fixed_ip in the port events (prefix pairs)', () => {
  it('refuses a bound port inside a prefix pair, and a prefix pair over a bound port; unbound and own addresses pass', async () => {
    const b = bed();
    const port = (id: string, ips: string[], host: string, pairs: string[], revision: number) =>
      upsert({ id, ip: '', ips, host, pairs, revision });
    expect(await b.one(port('p1', ['10.0.0.1'], '', [], 1))).toBe('applied');
    // p1 is unbound: a prefix over it passes, and so does the port's own address
    expect(await b.one(port('p2', ['10.0.0.2'], 'h1', ['10.0.0.0/30'], 1))).toBe('applied');
    // direction 1: p1 binds inside p2's prefix; p3 arrives bound inside it
    expect(await b.one(port('p1', ['10.0.0.1'], 'h2', [], 2))).toBe('rejected:aap_overlaps_fixed_ip');
    expect((await b.store.getPort('p1', 'n1'))?.revision).toBe(1);
    expect(await b.one(port('p3', ['10.0.0.3'], 'h2', [], 1))).toBe('rejected:aap_overlaps_fixed_ip');
    expect(await b.store.getPort('p3', 'n1')).toBeUndefined();
    expect(await b.one(port('p3', ['10.0.0.9', 'fd00::3'], 'h2', [], 1))).toBe('applied');
    // direction 2: a prefix over p3's bound addresses, IPv4 and IPv6; families never cover each other
    expect(await b.one(port('p4', ['10.0.1.4'], 'h1', ['10.0.0.8/29'], 1))).toBe(
      'rejected:aap_overlaps_fixed_ip',
    );
    expect(await b.one(port('p4', ['10.0.1.4'], 'h1', ['::/0'], 1))).toBe('rejected:aap_overlaps_fixed_ip');
    expect(await b.one(port('p4', ['10.0.1.4'], 'h1', ['fd00::/126'], 1))).toBe(
      'rejected:aap_overlaps_fixed_ip',
    );
    expect(await b.one(port('p4', ['10.0.1.4'], 'h1', ['fd01::/64', '10.0.0.16/28'], 1))).toBe('applied');
    // widening p4's prefix over p3 is refused; p4 keeps its previous record
    expect(await b.one(port('p4', ['10.0.1.4'], 'h1', ['fd01::/64', '10.0.0.0/27'], 2))).toBe(
      'rejected:aap_overlaps_fixed_ip',
    );
    expect((await b.store.getPort('p4', 'n1'))?.revision).toBe(1);
    // 0.0.0.0/0 over every bound IPv4 port but its own
    expect(await b.one(port('p4', ['10.0.1.4'], 'h1', ['0.0.0.0/0'], 2))).toBe(
      'rejected:aap_overlaps_fixed_ip',
    );
    // once p2 drops its prefix, p1 may bind
    expect(await b.one(port('p2', ['10.0.0.2'], 'h1', [], 2))).toBe('applied');
    expect(await b.one(port('p1', ['10.0.0.1'], 'h2', [], 2))).toBe('applied');
  });

  it('the coalesced path refuses the one record and keeps the others', async () => {
    const b = bed();
    const port = (id: string, ips: string[], host: string, pairs: string[]) =>
      toEvent(upsert({ id, ip: '', ips, host, pairs, revision: 1 }));
    expect(await b.one(upsert({ id: 'p1', ip: '10.0.0.1', host: 'h1', pairs: [], revision: 1 }))).toBe(
      'applied',
    );
    const out = await onPortChanges(b.deps, 'n1', [
      port('p2', ['10.0.0.2'], 'h2', ['10.0.0.64/26']),
      port('p3', ['10.0.0.70'], 'h3', []),
      port('p4', ['10.0.0.4'], 'h2', ['10.0.0.0/30']),
      port('p5', ['10.0.0.5'], '', ['10.0.0.4/30']),
      port('p6', ['10.0.0.6'], 'h2', []),
    ]);
    expect(out.map((o) => (o.kind === 'rejected' ? o.error.code : o.result.outcome))).toEqual([
      'applied',
      'aap_overlaps_fixed_ip',
      'aap_overlaps_fixed_ip',
      'applied',
      'aap_overlaps_fixed_ip',
    ]);
    expect((await b.store.listNetworkPorts('n1')).map((p) => p.id).sort()).toEqual(['p1', 'p2', 'p5']);
  });

  it('accepts exactly what the pure rule accepts, with prefix pairs of both families, single and coalesced (300 runs)', async () => {
    const V4 = ['10.0.0.1', '10.0.0.2', '10.0.0.5', '10.0.0.9'];
    const V6 = ['fd00::1', 'fd00::2', 'fd00::1:1'];
    const PREFIXES = ['10.0.0.0/30', '10.0.0.0/29', '10.0.0.8/29', '10.0.0.0/24', 'fd00::/126', 'fd00::/64'];
    const spec = fc.record({
      id: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5'),
      ips: fc.oneof(
        fc.tuple(fc.constantFrom(...V4)),
        fc.tuple(fc.constantFrom(...V6)),
        fc.tuple(fc.constantFrom(...V4), fc.constantFrom(...V6)),
      ),
      host: fc.constantFrom('', 'h1', 'h2'),
      pairs: fc.uniqueArray(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...PREFIXES) },
          { weight: 3, arbitrary: fc.constantFrom(...V4, ...V6) },
          { weight: 1, arbitrary: fc.constantFrom('0.0.0.0/0', '::/0') },
        ),
        { maxLength: 2 },
      ),
    });
    // refusals by path, direction (the event's pair over another port, or the event's fixed IP
    // under another port's pair) and pair kind
    const seen = new Map<string, number>();
    const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(
        fc.array(spec, { maxLength: 16 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        async (specs, coalesce, groupSize) => {
          const b = bed();
          const revisions = new Map<string, number>();
          const inbound = specs.map((s) => {
            const revision = (revisions.get(s.id) ?? 0) + 1;
            revisions.set(s.id, revision);
            return upsert({ ...s, ip: '', revision });
          });
          const ports = inbound.map(toEvent);
          // The live ports as the accepted events leave them (refusals change nothing).
          const model = new Map<string, Port>();
          const judge = (e: PortChangeEvent, outcome: string) => {
            const port = e.next as Port;
            const found = findAapOverlap(port, [...model.values()]);
            if (outcome === 'rejected:aap_overlaps_fixed_ip') {
              expect(found).not.toBeNull();
              const direction = found?.aapPort === port.id ? 'pair-over-held' : 'held-under-pair';
              const kind = found?.pair.ipAddress.includes('/') ? 'prefix' : 'bare';
              count(`${coalesce ? 'coalesced' : 'single'} ${direction} ${kind}`);
            } else if (outcome === 'applied') {
              expect(found).toBeNull();
              model.set(port.id, port);
            }
          };
          if (coalesce)
            for (let i = 0; i < ports.length; i += groupSize) {
              const group = ports.slice(i, i + groupSize);
              const out = await onPortChanges(b.deps, 'n1', group);
              for (const [j, o] of out.entries())
                judge(
                  group[j] as PortChangeEvent,
                  o.kind === 'rejected' ? `rejected:${o.error.code}` : o.result.outcome,
                );
            }
          if (!coalesce)
            for (const [i, e] of inbound.entries()) judge(ports[i] as PortChangeEvent, await b.one(e));
          const live = await b.store.listNetworkPorts('n1');
          expect(live.map((p) => p.id).sort()).toEqual([...model.keys()].sort());
          for (const p of live) expect(findAapOverlap(p, live)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
    for (const path of ['single', 'coalesced'])
      for (const direction of ['pair-over-held', 'held-under-pair'])
        expect(
          seen.get(`${path} ${direction} prefix`) ?? 0,
          `${path} ${direction} prefix`,
        ).toBeGreaterThanOrEqual(20);
  });
});
