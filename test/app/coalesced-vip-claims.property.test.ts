import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { claimOf } from '../../src/app/on-vip-claim.js';
import { onVipClaims, type VipClaimOutcome } from '../../src/app/on-vip-claims.js';
import type { Deps, EventResult } from '../../src/app/reconcile.js';
import type { VipClaimEvent } from '../../src/contracts/events.js';
import { parseInboundEvent, toNetwork } from '../../src/contracts/parse.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import type { Strategy } from '../../src/core/types.js';
import { recordVipClaim, type VipConfig, type VipState } from '../../src/core/vip.js';
import { viewsOfVips } from '../../src/core/vip-view.js';
import { createAppliedAgents, storedAgents } from '../support/applied-agents.js';

/**
 * A batch of `vip.claim`s of one network coalesced (`onVipClaims`: one fold, one commit) against
 * the same claims one at a time (`dispatchEvent`, a commit each), each on its own in-memory store
 * with agents that apply every command with the shared protocol: the same outcome per claim
 * (refusal code, stale, applied, with what the claim did to its VIP), the same VIP records, the
 * same agent tables, and every agent holding what the full recompute of the stored facts gives.
 * The records are also checked against the core's rule folded claim by claim (`recordVipClaim`).
 * Claims draw from a small pool, then the batch picks from it with repeats in any order, so
 * duplicates, late claims, moves back and forth, freezes (2 moves in 10 s), releases after the
 * hold time, split brains and every refusal are common; the strategy is drawn per run.
 */
const NETWORK = { id: 'n-vip', networkType: 'vxlan' as const, segmentId: 720 };
const HOSTS = ['h1', 'h2', 'h3'] as const;
const TUNNEL = { h1: '192.0.2.1', h2: '192.0.2.2', h3: '192.0.2.3' };
const CAPABILITIES = {
  h1: { learning: true, arp: 'responder' },
  h2: { learning: false, arp: 'responder' },
  h3: { learning: false, arp: 'proxy' },
} as const;
const VMAC = '00:00:5e:00:01:34';
const VIPS = ['10.7.0.100', '10.7.0.200', '2001:db8:7::100'] as const;
/** Port -> host and own MAC; `px` is never created (`vip_unknown_port`). */
const PORTS = {
  pa: { host: 'h1', mac: 'fa:16:3e:07:00:0a' },
  pb: { host: 'h2', mac: 'fa:16:3e:07:00:0b' },
  pc: { host: 'h3', mac: 'fa:16:3e:07:00:0c' },
  px: { host: 'h3', mac: 'fa:16:3e:07:00:0d' },
} as const;
const BASE = 5_000_000;
const NOW = BASE + 20_000;
const CONFIG: VipConfig = {
  maxMoves: 2,
  windowMs: 10_000,
  holdMs: 5_000,
  splitBrainMs: 1_000,
  maxFutureMs: 10_000,
};

const claimArb = fc
  .record({
    portId: fc.constantFrom('pa', 'pa', 'pb', 'pb', 'pc', 'px'),
    onItsHost: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
    ip: fc.constantFrom(...VIPS),
    mac: fc.constantFrom('vmac', 'vmac', 'own', 'own', 'other'),
    // 500 ms steps over 35 s: ties, split brains (< 1 s), the hold time, and a few from the future
    at: fc.integer({ min: 0, max: 70 }).map((i) => BASE + i * 500),
    seq: fc.integer({ min: 0, max: 3 }),
  })
  .map((c): VipClaimEvent => {
    const port = PORTS[c.portId as keyof typeof PORTS];
    const host = c.onItsHost ? port.host : HOSTS.find((h) => h !== port.host);
    const mac = c.mac === 'vmac' ? VMAC : c.mac === 'own' ? port.mac : 'fa:16:3e:07:99:99';
    const event = parseInboundEvent(
      JSON.stringify({
        type: 'vip.claim',
        v: 1,
        host,
        networkId: NETWORK.id,
        portId: c.portId,
        ip: c.ip,
        mac,
        kind: c.ip.includes(':') ? 'unsolicited_na' : 'garp',
        at: c.at,
        seq: c.seq,
      }),
    );
    if (event.type !== 'vip.claim') throw new Error('not a claim');
    return event;
  });

/** A pool of claims and a batch drawn from it with repeats, in any order. */
const historyArb = fc.array(claimArb, { minLength: 1, maxLength: 6 }).chain((pool) =>
  fc.record({
    prefix: fc.array(fc.constantFrom(...pool), { maxLength: 4 }),
    batch: fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 10 }),
    strategy: fc.constantFrom<Strategy>('master-binding', 'master-binding', 'auto', 'tunnel'),
  }),
);

function bed() {
  const applied = createAppliedAgents({ now: NOW, accept: ['applied', 'partial', 'duplicate'] });
  const { store, held, published } = applied;
  const deps: Deps = { ...applied.deps, vip: CONFIG };
  const send = (e: Record<string, unknown>) =>
    dispatchEvent(deps, parseInboundEvent(JSON.stringify({ v: 1, ...e })));
  const setup = async (strategy: Strategy) => {
    await send({
      type: 'flags.set',
      flags: { defaultStrategy: strategy, rollout: null, networks: {}, routers: {} },
      revision: 1,
    });
    for (const host of HOSTS)
      await send({
        type: 'agent.report',
        host,
        tunnelIp: TUNNEL[host],
        agentType: 'Open vSwitch agent',
        networkTypes: ['vxlan'],
        capabilities: CAPABILITIES[host],
        bootId: 'b1',
        revision: 1,
      });
    const pairs = [{ ipAddress: VIPS[0], macAddress: VMAC }, { ipAddress: VIPS[1] }, { ipAddress: VIPS[2] }];
    for (const [id, n] of [
      ['pa', 10],
      ['pb', 11],
      ['pc', 12],
    ] as const)
      await send({
        type: 'port.upsert',
        network: NETWORK,
        port: {
          id,
          networkId: NETWORK.id,
          mac: PORTS[id].mac,
          ips: [`10.7.0.${n}`],
          deviceOwner: 'compute:nova',
          deviceId: `vm-${id}`,
          host: PORTS[id].host,
          status: 'ACTIVE',
          dvrHosts: [],
          revision: 1,
          // pc holds only the second VIP: a claim of another is `vip_no_matching_aap`
          allowedAddressPairs: id === 'pc' ? [pairs[1]] : pairs,
        },
      });
  };
  /** One claim through the single path: its outcome, or the refusal's code. */
  const one = async (e: VipClaimEvent): Promise<VipClaimOutcome> => {
    try {
      return { kind: 'result', result: await dispatchEvent(deps, e) };
    } catch (err) {
      if (isInvalidInputError(err)) return { kind: 'rejected', error: err };
      throw err;
    }
  };
  const tables = () => Object.fromEntries(HOSTS.map((h) => [h, held.get(h)?.table ?? {}]));
  /** Every agent holds what the full recompute of the stored facts (ports, agents, VIPs) gives. */
  const converged = async () => {
    const agents = await storedAgents(store, HOSTS);
    const desired = computeDesiredNetwork({
      network: toNetwork(NETWORK),
      agents,
      ports: await store.listNetworkPorts(NETWORK.id),
      routers: new Map(),
      flags: (await store.getFlags()).flags,
      vips: viewsOfVips(await store.listNetworkVips(NETWORK.id)),
    });
    for (const h of HOSTS) expect(held.get(h)?.table ?? {}, h).toEqual(desired.views.get(h) ?? {});
  };
  return { deps, store, published, setup, one, tables, converged };
}

/** What a claim came to, as compared: the refusal code, or the outcome and what it did to its VIP. */
function viewOf(o: VipClaimOutcome | undefined) {
  if (!o) return 'missing';
  if (o.kind === 'rejected') return `rejected:${o.error.code}`;
  const r: EventResult = o.result;
  return { outcome: r.outcome, vip: r.vip ?? null };
}

const records = async (b: ReturnType<typeof bed>) =>
  (await b.store.listNetworkVips(NETWORK.id)).sort((x, y) => (x.ip < y.ip ? -1 : 1));

describe('a coalesced batch of vip.claims equals its claims one at a time', () => {
  it('gives the same outcomes, records and agent tables in one commit, and the full recompute agrees', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async ({ prefix, batch, strategy }) => {
        const single = bed();
        const coalesced = bed();
        for (const b of [single, coalesced]) {
          await b.setup(strategy);
          for (const e of prefix) await b.one(e);
        }
        const stored = new Map((await records(coalesced)).map((r) => [r.ip, r.state]));
        const expected: VipClaimOutcome[] = [];
        for (const e of batch) expected.push(await single.one(e));
        const versionBefore = (await coalesced.store.getNetworkState(NETWORK.id))?.version ?? 0;
        const publishedBefore = coalesced.published.length;
        const outcomes = await onVipClaims(coalesced.deps, NETWORK.id, batch);

        expect(outcomes.map(viewOf)).toEqual(expected.map(viewOf));
        expect(await records(coalesced)).toEqual(await records(single));
        expect(coalesced.tables()).toEqual(single.tables());
        await coalesced.converged();
        await single.converged();
        // One commit: at most one new version and one outbox record (one command per agent).
        expect(coalesced.published.length - publishedBefore).toBeLessThanOrEqual(1);
        const versionAfter = (await coalesced.store.getNetworkState(NETWORK.id))?.version ?? 0;
        expect(versionAfter - versionBefore).toBeLessThanOrEqual(1);
        for (const r of coalesced.published.slice(publishedBefore)) {
          const hosts = r.commands.map((c) => c.host);
          expect(new Set(hosts).size).toBe(hosts.length);
        }
        // The records are the core's rule folded over the accepted claims in queue order.
        const folded = new Map<string, VipState | undefined>(stored);
        batch.forEach((e, i) => {
          if (expected[i]?.kind !== 'result') return;
          const o = recordVipClaim(folded.get(e.ip), claimOf(e), CONFIG);
          if (o.kind === 'applied') folded.set(e.ip, o.state);
        });
        const after = new Map((await records(coalesced)).map((r) => [r.ip, r.state]));
        expect(after).toEqual(new Map([...folded].filter(([, s]) => s !== undefined)));
      }),
      { numRuns: 300 },
    );
  });

  it('moves four VIPs of a failover (two instances, IPv4 and IPv6) in one version', async () => {
    const b = bed();
    await b.setup('master-binding');
    const claim = (portId: 'pa' | 'pb', ip: string, mac: string, at: number, seq: number): VipClaimEvent => ({
      type: 'vip.claim',
      v: 1,
      host: PORTS[portId].host,
      networkId: NETWORK.id,
      portId,
      ip,
      mac,
      kind: ip.includes(':') ? 'unsolicited_na' : 'garp',
      at,
      seq,
    });
    const first = await onVipClaims(
      b.deps,
      NETWORK.id,
      VIPS.map((ip, i) => claim('pa', ip, i === 0 ? VMAC : PORTS.pa.mac, BASE, i)),
    );
    expect(first.map(viewOf).map((v) => typeof v === 'object' && v.vip?.moved)).toEqual([true, true, true]);
    const version = (await b.store.getNetworkState(NETWORK.id))?.version;
    const n = b.published.length;
    // the failover: pb's host claims all of them, plus a repeat, within 2 ms
    const batch = [
      ...VIPS.map((ip, i) => claim('pb', ip, i === 0 ? VMAC : PORTS.pb.mac, BASE + 10_000 + i, i)),
      claim('pb', VIPS[0], VMAC, BASE + 10_000, 0),
    ];
    const outcomes = await onVipClaims(b.deps, NETWORK.id, batch);
    expect(outcomes.map((o) => o.kind === 'result' && o.result.outcome)).toEqual([
      'applied',
      'applied',
      'applied',
      'stale',
    ]);
    expect(b.published.length - n).toBe(1);
    expect((await b.store.getNetworkState(NETWORK.id))?.version).toBe((version ?? 0) + 1);
    const commands = outcomes
      .flatMap((o) => (o.kind === 'result' ? o.result.networks : []))
      .map((x) => x.commands);
    expect(commands).toEqual([3, 0, 0]);
    for (const ip of VIPS)
      expect(
        (b.tables().h3?.[TUNNEL.h2] ?? []).some(([, i]) => i === ip),
        ip,
      ).toBe(true);
    await b.converged();
  });
});
