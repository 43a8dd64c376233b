import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { onPortChanges } from '../../src/app/on-port-changes.js';
import { onVipClaims } from '../../src/app/on-vip-claims.js';
import { findOverlaps } from '../../src/app/rebuild-index.js';
import type { EventResult, NetworkAapOverlap } from '../../src/app/reconcile.js';
import type { InboundEvent, VipClaimEvent } from '../../src/contracts/events.js';
import { toPort } from '../../src/contracts/parse.js';
import { findAapOverlap, holdsFixedIps } from '../../src/core/aap.js';
import { FLOODING_IP } from '../../src/core/entries.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import type { AgentTable, Port } from '../../src/core/types.js';
import { checkVipClaim } from '../../src/core/vip.js';
import { createAppliedAgents, toPortChangeEvent } from '../support/applied-agents.js';
import { createFactOracle } from '../support/fact-oracle.js';
import { inboundEvent, vipClaimBody, vmPortBody } from '../support/inbound-bodies.js';
import { vipWorldSetup } from '../support/vip-world.js';

/**
 * Overlap with another port's fixed IP (`aap_overlaps_fixed_ip`, docs/vip.md; deviation D18):
 * a port event is never refused for it. The port is recorded as Neutron holds it, every pair
 * included, and the overlaps the indexes find (src/app/aap-index.ts) are reported on the result
 * (a WARN line and `AapOverlapsFound` in the runtime). What is refused is the pair's *use*: a
 * `vip.claim` of an address a bound port other than the claimant holds, and a port that starts
 * holding an address withdraws another port's binding there, so no agent ever holds two entries
 * for one IP. Single and coalesced paths, in-memory store, agents applying every command.
 */
const NET = { id: 'n1', networkType: 'vxlan', segmentId: 100 };
const TUNNEL: Record<string, string> = { h1: '192.0.2.1', h2: '192.0.2.2', h3: '192.0.2.3' };

interface Spec {
  readonly id: string;
  readonly ips: readonly string[];
  readonly host: string;
  readonly pairs: readonly string[];
  readonly revision: number;
}

const macOf = (id: string) => `fa:16:3e:00:00:0${id.slice(1)}`;

const upsert = (p: Spec): InboundEvent =>
  inboundEvent(
    vmPortBody(NET, {
      id: p.id,
      mac: macOf(p.id),
      ips: p.ips,
      host: p.host,
      revision: p.revision,
      allowedAddressPairs: p.pairs.map((ipAddress) => ({ ipAddress })),
    }),
  );

/** Distinct MACs per address in an agent's table (the flooding entry aside). */
function macsPerIp(t: AgentTable): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const entries of Object.values(t))
    for (const [mac, ip] of entries) if (ip !== FLOODING_IP) out.set(ip, (out.get(ip) ?? new Set()).add(mac));
  return out;
}

function world(strategy = 'master-binding') {
  const { store, deps, table } = createAppliedAgents({ now: 1_000_000 });
  const oracle = createFactOracle();
  /** One event through the dispatcher: its result, or `rejected:<code>`. */
  const one = async (e: InboundEvent): Promise<EventResult | string> => {
    oracle.apply(e);
    try {
      return await dispatchEvent(deps, e);
    } catch (err) {
      if (isInvalidInputError(err)) return `rejected:${err.code}`;
      throw err;
    }
  };
  let seq = 0;
  const claim = (portId: string, host: string, ip: string): VipClaimEvent => {
    seq++;
    const e = inboundEvent(
      vipClaimBody({
        host,
        networkId: NET.id,
        portId,
        ip,
        mac: macOf(portId),
        kind: ip.includes(':') ? 'unsolicited_na' : 'garp',
        at: 990_000 + seq,
        seq,
      }),
    );
    if (e.type !== 'vip.claim') throw new Error('a claim');
    return e;
  };
  const setup = async () => {
    for (const body of vipWorldSetup(strategy, TUNNEL)) await one(inboundEvent(body));
  };
  /** Every agent holds what the fact oracle says, and never two MACs for one address. */
  const expectTables = () => {
    const desired = oracle.desired().get(NET.id) ?? new Map<string, AgentTable>();
    for (const host of Object.keys(TUNNEL)) {
      expect(table(host), host).toEqual(desired.get(host) ?? {});
      for (const [ip, macs] of macsPerIp(table(host))) expect(macs.size, `${host} ${ip}`).toBe(1);
    }
  };
  return { store, deps, oracle, table, one, claim, setup, expectTables };
}

const overlapsOf = (r: EventResult | string): readonly NetworkAapOverlap[] => {
  if (typeof r === 'string') throw new Error(`expected a result, got ${r}`);
  return r.overlaps ?? [];
};
const portOf = async (w: ReturnType<typeof world>, id: string) => {
  const p = await w.store.getPort(id, 'n1');
  return p && !('deleted' in p) ? (p as Port) : undefined;
};

describe('aap_overlaps_fixed_ip: a port event records the port and reports the overlap', () => {
  it('bare pairs, both directions; the reservation pattern reports nothing until the reservation binds', async () => {
    const w = world();
    await w.setup();
    const r1 = await w.one(upsert({ id: 'p1', ips: ['10.0.0.1'], host: 'h1', pairs: [], revision: 1 }));
    expect(overlapsOf(r1)).toEqual([]);
    const r2 = await w.one(
      upsert({ id: 'p2', ips: ['10.0.0.2'], host: 'h2', pairs: ['10.0.0.1'], revision: 1 }),
    );
    expect(overlapsOf(r2)).toEqual([
      { networkId: 'n1', aapPort: 'p2', pair: '10.0.0.1', fixedPort: 'p1', ip: '10.0.0.1' },
    ]);
    expect((await w.store.getPort('p2', 'n1'))?.revision).toBe(1);
    // the reservation pattern: an unbound port owns 10.0.0.3, two VM ports carry it
    expect(
      overlapsOf(await w.one(upsert({ id: 'p3', ips: ['10.0.0.3'], host: '', pairs: [], revision: 1 }))),
    ).toEqual([]);
    expect(
      overlapsOf(
        await w.one(upsert({ id: 'p4', ips: ['10.0.0.4'], host: 'h3', pairs: ['10.0.0.3'], revision: 1 })),
      ),
    ).toEqual([]);
    // binding it: recorded, both pairs reported (the held-under-pair direction)
    const bound = await w.one(upsert({ id: 'p3', ips: ['10.0.0.3'], host: 'h3', pairs: [], revision: 2 }));
    expect(overlapsOf(bound)).toEqual([
      { networkId: 'n1', aapPort: 'p4', pair: '10.0.0.3', fixedPort: 'p3', ip: '10.0.0.3' },
    ]);
    expect((await portOf(w, 'p3'))?.host).toBe('h3');
    // a port's pair may cover its own fixed IP; p2's pair over it stands, reported when it arose
    // (an overlap is reported by the event that brings it, not by every later event)
    expect(
      overlapsOf(
        await w.one(upsert({ id: 'p1', ips: ['10.0.0.1'], host: 'h1', pairs: ['10.0.0.1'], revision: 2 })),
      ),
    ).toEqual([]);
    w.expectTables();
  });

  it('0.0.0.0/0 on a router VM in a network of bound ports: recorded, its entries everywhere, one overlap reported', async () => {
    const w = world();
    await w.setup();
    for (const [i, host] of ['h1', 'h2'].entries())
      await w.one(upsert({ id: `p${i + 1}`, ips: [`10.0.0.${i + 1}`], host, pairs: [], revision: 1 }));
    const r = await w.one(
      upsert({
        id: 'p9',
        ips: ['10.0.0.9', 'fd00::9'],
        host: 'h3',
        pairs: ['0.0.0.0/0', '::/0'],
        revision: 1,
      }),
    );
    expect(typeof r === 'string' ? r : r.outcome).toBe('applied');
    expect(overlapsOf(r)).toHaveLength(1);
    expect((await portOf(w, 'p9'))?.allowedAddressPairs).toHaveLength(2);
    for (const host of ['h1', 'h2'])
      expect(w.table(host)[TUNNEL.h3 as string]).toEqual(
        expect.arrayContaining([
          [macOf('p9'), '10.0.0.9'],
          [macOf('p9'), 'fd00::9'],
        ]),
      );
    w.expectTables();
  });

  it('the coalesced path records every port and reports each one’s overlaps', async () => {
    const w = world();
    await w.setup();
    await w.one(upsert({ id: 'p1', ips: ['10.0.0.1'], host: 'h1', pairs: [], revision: 1 }));
    const events = [
      upsert({ id: 'p2', ips: ['10.0.0.2'], host: 'h2', pairs: ['10.0.0.64/26'], revision: 1 }),
      upsert({ id: 'p3', ips: ['10.0.0.70'], host: 'h3', pairs: [], revision: 1 }),
      upsert({ id: 'p4', ips: ['10.0.0.4'], host: 'h2', pairs: ['10.0.0.0/30'], revision: 1 }),
      upsert({ id: 'p5', ips: ['10.0.0.5'], host: '', pairs: ['10.0.0.4/30'], revision: 1 }),
      upsert({ id: 'p6', ips: ['10.0.0.6'], host: 'h2', pairs: [], revision: 1 }),
    ];
    for (const e of events) w.oracle.apply(e);
    const out = await onPortChanges(w.deps, 'n1', events.map(toPortChangeEvent));
    expect(
      out.map((o) => (o.kind === 'result' ? (o.result.overlaps ?? []).map((x) => x.aapPort) : o.kind)),
    ).toEqual([[], ['p2'], ['p4'], ['p5'], ['p5']]);
    expect((await w.store.listNetworkPorts('n1')).map((p) => p.id).sort()).toEqual([
      'p1',
      'p2',
      'p3',
      'p4',
      'p5',
      'p6',
    ]);
    w.expectTables();
  });
});

describe('aap_overlaps_fixed_ip: the pair’s use is refused', () => {
  it.each([false, true])(
    'a claim of another bound port’s fixed IP is refused; a port taking a bound VIP’s address withdraws it (coalesced: %s)',
    async (coalesce) => {
      const w = world();
      await w.setup();
      await w.one(upsert({ id: 'p1', ips: ['10.0.0.1'], host: 'h1', pairs: [], revision: 1 }));
      await w.one(upsert({ id: 'p2', ips: ['10.0.0.2'], host: 'h2', pairs: ['10.0.0.0/24'], revision: 1 }));
      const send = async (c: VipClaimEvent) => {
        w.oracle.apply(c);
        if (!coalesce) return w.one(c);
        const [o] = await onVipClaims(w.deps, NET.id, [c]);
        return o?.kind === 'rejected' ? `rejected:${o.error.code}` : (o?.result as EventResult);
      };
      // inside p2's prefix, p1's fixed IP: refused; a free address: bound
      expect(await send(w.claim('p2', 'h2', '10.0.0.1'))).toBe('rejected:aap_overlaps_fixed_ip');
      expect(await send(w.claim('p2', 'h2', '10.0.0.100'))).toMatchObject({ outcome: 'applied' });
      expect(w.table('h1')[TUNNEL.h2 as string]).toContainEqual([macOf('p2'), '10.0.0.100']);
      w.expectTables();
      // p1 takes 10.0.0.100 as a fixed IP: p2's binding is withdrawn in the same commit
      const take = upsert({ id: 'p1', ips: ['10.0.0.1', '10.0.0.100'], host: 'h1', pairs: [], revision: 2 });
      if (coalesce) {
        w.oracle.apply(take);
        const [o] = await onPortChanges(w.deps, NET.id, [toPortChangeEvent(take)]);
        expect(o?.kind === 'result' && o.result.overlaps?.map((x) => x.ip)).toEqual(['10.0.0.100']);
      } else expect(overlapsOf(await w.one(take)).map((x) => x.ip)).toEqual(['10.0.0.100']);
      const record = (await w.store.listNetworkVips(NET.id))[0];
      expect(record?.state.owner).toBeNull();
      expect(record?.holders).toEqual({});
      expect(w.table('h1')[TUNNEL.h2 as string] ?? []).not.toContainEqual([macOf('p2'), '10.0.0.100']);
      expect(w.table('h2')[TUNNEL.h1 as string]).toContainEqual([macOf('p1'), '10.0.0.100']);
      w.expectTables();
      // and p2 may not take it back
      expect(await send(w.claim('p2', 'h2', '10.0.0.100'))).toBe('rejected:aap_overlaps_fixed_ip');
      w.expectTables();
    },
  );
});

describe('aap_overlaps_fixed_ip: properties over random histories', () => {
  it('every port event is applied, the reported overlaps are the ones it brings, claims of held addresses are refused, no agent holds two MACs for one IP (300 runs)', async () => {
    // each port's fixed IPs come from its own pool (no duplicate_ip); the addresses claimed and
    // covered by pairs span every pool, plus one nobody holds
    const POOL = (k: number) => [`10.0.0.${k}`, `10.0.0.${k + 8}`, `fd00::${k}`];
    const IDS = ['p1', 'p2', 'p3', 'p4'];
    const ADDRESSES = [...IDS.flatMap((_, i) => POOL(i + 1)), '10.0.0.100'];
    const PREFIXES = ['10.0.0.0/30', '10.0.0.0/29', '10.0.0.8/29', '10.0.0.0/24', 'fd00::/126', 'fd00::/64'];
    const portOp = fc.record({
      kind: fc.constant('port' as const),
      k: fc.integer({ min: 1, max: IDS.length }),
      pick: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 2 }),
      host: fc.constantFrom('', 'h1', 'h2', 'h3'),
      pairs: fc.uniqueArray(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...PREFIXES) },
          { weight: 6, arbitrary: fc.constantFrom(...ADDRESSES) },
          { weight: 3, arbitrary: fc.constantFrom('0.0.0.0/0', '::/0', '10.0.0.0/24', 'fd00::/64') },
        ),
        { maxLength: 2 },
      ),
    });
    const claimOp = fc.record({
      kind: fc.constant('claim' as const),
      k: fc.integer({ min: 1, max: IDS.length }),
      // mostly another port's fixed IP
      ip: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...IDS.flatMap((_, i) => POOL(i + 1).slice(0, 2))) },
        { weight: 1, arbitrary: fc.constantFrom(...ADDRESSES) },
      ),
    });
    const seen = new Map<string, number>();
    const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    const key = (o: { aapPort: string; pair: string; fixedPort: string; ip: string }) =>
      `${o.aapPort}|${o.pair}|${o.fixedPort}|${o.ip}`;
    await fc.assert(
      fc.asyncProperty(
        // every port created first, then a random mix
        fc
          .tuple(
            fc.tuple(...IDS.map((_, i) => portOp.map((op) => ({ ...op, k: i + 1 })))),
            fc.array(fc.oneof({ weight: 3, arbitrary: portOp }, { weight: 3, arbitrary: claimOp }), {
              minLength: 6,
              maxLength: 16,
            }),
          )
          .map(([first, rest]) => [...first, ...rest]),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('master-binding', 'tunnel', 'auto'),
        async (ops, coalesce, groupSize, strategy) => {
          const w = world(strategy);
          await w.setup();
          const model = new Map<string, Port>();
          const revisions = new Map<string, number>();
          const path = coalesce ? 'coalesced' : 'single';
          /** Judges one applied port event against the live ports before and after it. */
          const judgePort = (port: Port, outcome: EventResult | string) => {
            expect(typeof outcome === 'string' ? outcome : outcome.outcome).toBe('applied');
            // a conflict is (pair's port, fixed IP's port, address): narrowing a prefix brings none
            const conflict = (o: { aapPort: string; fixedPort: string; ip: string }) =>
              `${o.aapPort}|${o.fixedPort}|${o.ip}`;
            const beforeKeys = new Set(findOverlaps([...model.values()]).map(conflict));
            model.set(port.id, port);
            const live = [...model.values()];
            const after = findOverlaps(live);
            const afterKeys = new Set(after.map(key));
            const reported = typeof outcome === 'string' ? [] : (outcome.overlaps ?? []);
            for (const o of reported) {
              expect(afterKeys.has(key(o)), key(o)).toBe(true);
              expect([o.aapPort, o.fixedPort]).toContain(port.id);
              const direction = o.aapPort === port.id ? 'pair-over-held' : 'held-under-pair';
              count(`${path} ${direction} ${o.pair.includes('/') ? 'prefix' : 'bare'}`);
            }
            // an overlap the event brings is reported (and only those: none where the rule finds none)
            const brought = after.filter(
              (o) => !beforeKeys.has(conflict(o)) && (o.aapPort === port.id || o.fixedPort === port.id),
            );
            if (brought.length > 0) expect(reported.length, JSON.stringify(brought)).toBeGreaterThan(0);
            if (findAapOverlap(port, live) === null) expect(reported).toEqual([]);
          };
          const judgeClaim = (c: VipClaimEvent, outcome: EventResult | string) => {
            const holder = [...model.values()].find((p) => holdsFixedIps(p) && p.ips.includes(c.ip));
            const claimant = model.get(c.portId);
            const valid = checkVipClaim(claimant, c, 1_000_000) === null && !claimant?.ips.includes(c.ip);
            if (valid && holder && holder.id !== c.portId) {
              expect(outcome).toBe('rejected:aap_overlaps_fixed_ip');
              count(`${path} claim refused`);
            } else expect(outcome).not.toBe('rejected:aap_overlaps_fixed_ip');
          };
          // a claim comes from the host the port's latest event names (h1 before any)
          const hosts = new Map<string, string>();
          const events = ops.map((op) => {
            const id = `p${op.k}`;
            if (op.kind === 'claim') return w.claim(id, hosts.get(id) || 'h1', op.ip);
            hosts.set(id, op.host);
            const revision = (revisions.get(id) ?? 0) + 1;
            revisions.set(id, revision);
            const pool = POOL(op.k);
            return upsert({
              id,
              ips: op.pick.map((i) => pool[i] as string),
              host: op.host,
              pairs: op.pairs,
              revision,
            });
          });
          for (let i = 0; i < events.length; ) {
            const first = events[i] as InboundEvent;
            const kind = first.type;
            let j = i + 1;
            if (coalesce) while (j < events.length && j - i < groupSize && events[j]?.type === kind) j++;
            const group = events.slice(i, j);
            for (const e of group) w.oracle.apply(e);
            if (!coalesce) {
              for (const e of group) {
                const out = await dispatchEvent(w.deps, e).catch((err: unknown) =>
                  isInvalidInputError(err) ? `rejected:${err.code}` : Promise.reject(err),
                );
                if (e.type === 'port.upsert') judgePort(toPort(e), out);
                else judgeClaim(e as VipClaimEvent, out);
              }
            } else if (kind === 'port.upsert') {
              const out = await onPortChanges(w.deps, NET.id, group.map(toPortChangeEvent));
              for (const [n, o] of out.entries())
                judgePort(
                  toPort(group[n] as InboundEvent & { type: 'port.upsert' }),
                  o.kind === 'rejected' ? `rejected:${o.error.code}` : o.result,
                );
            } else {
              const out = await onVipClaims(w.deps, NET.id, group as VipClaimEvent[]);
              for (const [n, o] of out.entries())
                judgeClaim(
                  group[n] as VipClaimEvent,
                  o.kind === 'rejected' ? `rejected:${o.error.code}` : o.result,
                );
            }
            w.expectTables();
            i = j;
          }
          expect((await w.store.listNetworkPorts('n1')).map((p) => p.id).sort()).toEqual(
            [...model.keys()].sort(),
          );
        },
      ),
      { numRuns: 300 },
    );
    for (const path of ['single', 'coalesced']) {
      for (const direction of ['pair-over-held', 'held-under-pair'])
        for (const kind of ['prefix', 'bare'])
          expect(
            seen.get(`${path} ${direction} ${kind}`) ?? 0,
            `${path} ${direction} ${kind}`,
          ).toBeGreaterThanOrEqual(20);
      expect(seen.get(`${path} claim refused`) ?? 0, `${path} claim refused`).toBeGreaterThanOrEqual(10);
    }
  });
});
