import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { onPortChanges, type PortChangeEvent } from '../../src/app/on-port-changes.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent, toNetwork, toPort } from '../../src/contracts/parse.js';
import { findAapOverlap } from '../../src/core/aap.js';
import { isInvalidInputError } from '../../src/core/errors.js';

/**
 * The overlap rule (`aap_overlaps_fixed_ip`, src/core/aap.ts) enforced by the port events for
 * bare-address pairs (src/app/aap-index.ts): the app refuses exactly what the pure rule refuses
 * against the live ports, in either direction and any order, and a refusal changes nothing.
 */
const NET = { id: 'n1', networkType: 'vxlan', segmentId: 100 };
const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];

interface Spec {
  readonly id: string;
  readonly ip: string;
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
        ips: [p.ip],
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
