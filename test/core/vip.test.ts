import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Port } from '../../src/core/types.js';
import {
  checkVipClaim,
  compareClaims,
  DEFAULT_VIP_CONFIG,
  type HeldVipState,
  recordVipClaim,
  releaseVip,
  type VipClaim,
  type VipConfig,
} from '../../src/core/vip.js';

const VIP = '10.0.0.100';
const HOSTS = ['compute-1', 'compute-2', 'compute-3'] as const;

function claim(host: string, at: number, seq = 0, over: Partial<VipClaim> = {}): VipClaim {
  return {
    networkId: 'net-a',
    ip: VIP,
    host,
    portId: `port-${host}`,
    mac: `fa:16:3e:00:00:0${host.slice(-1)}`,
    kind: 'garp',
    at,
    seq,
    ...over,
  };
}

/** Folds claims in delivery order; returns the state and every outcome. */
function run(claims: readonly VipClaim[], config: VipConfig = DEFAULT_VIP_CONFIG) {
  let state: HeldVipState | undefined;
  const outcomes = claims.map((c) => {
    const o = recordVipClaim(state, c, config);
    if (o.kind === 'applied') state = o.state;
    return o;
  });
  return { state, outcomes };
}

const holder = (c: VipClaim | undefined) => c && `${c.host}/${c.portId}/${c.mac}`;

/** Claims of one VIP with distinct keys, from a few hosts, several at one time. */
const claimsArb = fc
  .array(fc.record({ host: fc.constantFrom(...HOSTS), gap: fc.integer({ min: 0, max: 90_000 }) }), {
    minLength: 1,
    maxLength: 25,
  })
  .map((steps) => {
    let at = 1_796_601_600_000;
    return steps.map((s, i) => claim(s.host, (at += s.gap), i));
  });

/** A delivery: the claims shuffled, some of them twice (at-least-once). */
const deliveryArb = (claims: readonly VipClaim[]) =>
  fc
    .tuple(
      fc.shuffledSubarray([...claims], { minLength: claims.length, maxLength: claims.length }),
      fc.array(fc.constantFrom(...claims), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 10 }),
    )
    .map(([order, dups, at]) => {
      const out = [...order];
      for (const [i, d] of dups.entries()) out.splice((at[i] ?? 0) % (out.length + 1), 0, d);
      return out;
    });

const newestOf = (claims: readonly VipClaim[]) => [...claims].sort(compareClaims).at(-1) ?? claims[0];

describe('claim ordering per VIP: (at, host, seq)', () => {
  it('any delivery order with duplicates gives the owner of the newest claim (no freeze)', () => {
    const noFreeze = { ...DEFAULT_VIP_CONFIG, maxMoves: Number.MAX_SAFE_INTEGER };
    fc.assert(
      fc.property(
        claimsArb.chain((claims) => fc.tuple(fc.constant(claims), deliveryArb(claims))),
        ([claims, delivery]) => {
          expect(holder(run(delivery, noFreeze).state?.owner)).toBe(holder(newestOf(claims)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('with the default flapping rule, every delivery that does not freeze ends on the same owner', () => {
    fc.assert(
      fc.property(
        claimsArb.chain((claims) => fc.tuple(fc.constant(claims), deliveryArb(claims))),
        ([claims, delivery]) => {
          const { state } = run(delivery);
          if (state?.frozen === null) expect(holder(state.owner)).toBe(holder(newestOf(claims)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a late or duplicated claim never changes the state, so never moves a VIP back', () => {
    fc.assert(
      fc.property(
        claimsArb.chain((claims) => deliveryArb(claims)),
        (delivery) => {
          let state: HeldVipState | undefined;
          let newest: VipClaim | undefined;
          for (const c of delivery) {
            const o = recordVipClaim(state, c);
            if (newest && compareClaims(c, newest) <= 0) expect(o.kind).toBe('stale');
            if (o.kind === 'applied') {
              // the owner's key never goes down
              if (state) expect(compareClaims(o.state.owner, state.owner)).toBeGreaterThanOrEqual(0);
              state = o.state;
            }
            if (!newest || compareClaims(c, newest) > 0) newest = c;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('orders claims across hosts by observation time, not by arrival', () => {
    const { state } = run([claim('compute-2', 2_000), claim('compute-1', 1_000)]);
    expect(state?.owner.host).toBe('compute-2');
  });

  it('breaks a tie on the time by host, then seq, so every controller picks the same', () => {
    expect(run([claim('compute-1', 5), claim('compute-2', 5)]).state?.owner.host).toBe('compute-2');
    expect(run([claim('compute-2', 5), claim('compute-1', 5)]).state?.owner.host).toBe('compute-2');
    expect(run([claim('compute-1', 5, 2), claim('compute-1', 5, 1)]).state?.owner.seq).toBe(2);
  });
});

describe('split brain: two near-simultaneous claims', () => {
  it('resolve to the newest and raise the signal, whatever the order and duplication', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 0, max: DEFAULT_VIP_CONFIG.splitBrainMs - 1 }),
        fc.constantFrom(...HOSTS),
        fc.constantFrom(...HOSTS),
        fc.boolean(),
        fc.nat(3),
        (at, delta, h1, h2, newerFirst, dup) => {
          fc.pre(h1 !== h2);
          const older = claim(h1, at, 1);
          const newer = claim(h2, at + delta, 1);
          const order = newerFirst ? [newer, older] : [older, newer];
          const delivery = [...order, ...Array<VipClaim>(dup).fill(order[0] ?? older)];
          const { state, outcomes } = run(delivery);
          expect(holder(state?.owner)).toBe(holder(compareClaims(newer, older) > 0 ? newer : older));
          expect(outcomes.some((o) => o.splitBrain)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is not raised by a failover whose old owner last announced more than the window before', () => {
    const { outcomes } = run([claim('compute-1', 0), claim('compute-2', DEFAULT_VIP_CONFIG.splitBrainMs)]);
    expect(outcomes.map((o) => o.splitBrain)).toEqual([false, false]);
  });
});

/** The N-in-T rule, counted from scratch over every move so far (the model the detector must match). */
function modelFreezeIndex(claims: readonly VipClaim[], config: VipConfig): number {
  const moves: number[] = [];
  let owner: VipClaim | undefined;
  for (const [i, c] of claims.entries()) {
    if (owner && holder(owner) !== holder(c)) {
      moves.push(c.at);
      if (moves.filter((t) => t > c.at - config.windowMs && t <= c.at).length > config.maxMoves) return i;
    }
    owner = c;
  }
  return -1;
}

describe('flapping: more than N moves in T freezes the VIP on its latest owner', () => {
  const config = { ...DEFAULT_VIP_CONFIG, holdMs: Number.MAX_SAFE_INTEGER };

  it('freezes exactly at the move the N-in-T rule names (claims in order, random N and T)', () => {
    fc.assert(
      fc.property(
        claimsArb,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1_000, max: 400_000 }),
        (generated, maxMoves, windowMs) => {
          // delivered in key order (claims at one time are ordered by host, not by generation)
          const claims = [...generated].sort(compareClaims);
          const cfg = { ...config, maxMoves, windowMs };
          const { outcomes, state } = run(claims, cfg);
          const expected = modelFreezeIndex(claims, cfg);
          expect(outcomes.findIndex((o) => o.kind === 'applied' && o.froze)).toBe(expected);
          if (expected >= 0) {
            expect(state?.frozen).not.toBeNull();
            expect(holder(state?.owner)).toBe(holder(claims[expected]));
          } else expect(state?.frozen).toBeNull();
        },
      ),
      { numRuns: 500 },
    );
  });

  const flap = (n: number, stepMs: number) =>
    Array.from({ length: n }, (_, i) => claim(HOSTS[i % 2] ?? 'compute-1', 10_000 + i * stepMs, i));

  it('the default freezes on the 6th move inside 180 s, and not on 5', () => {
    expect(run(flap(6, 1_000)).state?.frozen).toBeNull(); // 5 moves
    const { state, outcomes } = run(flap(7, 1_000)); // 6 moves
    expect(outcomes.at(-1)).toMatchObject({ kind: 'applied', froze: true, moved: true });
    expect(state?.owner.host).toBe('compute-1');
    // 6 moves spread over more than 180 s: never more than 5 inside the window
    expect(run(flap(7, 36_001)).state?.frozen).toBeNull();
  });

  it('a frozen VIP refuses moves, keeps refreshes from its owner, and still drops stale claims', () => {
    const { state } = run(flap(7, 1_000));
    if (!state) throw new Error('no state');
    const move = recordVipClaim(state, claim('compute-3', 20_000, 50));
    expect(move).toMatchObject({ kind: 'applied', suppressed: true, moved: false });
    if (move.kind !== 'applied') throw new Error('expected applied');
    expect(move.state.owner.host).toBe('compute-1');
    expect(move.state.newest.host).toBe('compute-3');
    const refresh = recordVipClaim(move.state, claim('compute-1', 21_000, 51));
    expect(refresh).toMatchObject({ kind: 'applied', moved: false, suppressed: false });
    expect(recordVipClaim(move.state, claim('compute-2', 19_999, 99)).kind).toBe('stale');
  });

  it('is released by the first claim a hold time after the last refused move, which then applies', () => {
    const cfg = { ...DEFAULT_VIP_CONFIG, holdMs: 60_000 };
    const { state } = run(flap(7, 1_000), cfg);
    if (!state?.frozen) throw new Error('expected a frozen VIP');
    const attempt = recordVipClaim(state, claim('compute-3', 20_000, 50), cfg);
    if (attempt.kind !== 'applied') throw new Error('expected applied');
    const early = recordVipClaim(attempt.state, claim('compute-2', 20_000 + 59_999, 51), cfg);
    expect(early).toMatchObject({ suppressed: true, released: false });
    if (early.kind !== 'applied') throw new Error('expected applied');
    // the hold counts from the last refused move (79,999), not from the freeze
    const late = recordVipClaim(early.state, claim('compute-2', 79_999 + 60_000, 52), cfg);
    expect(late).toMatchObject({ kind: 'applied', released: true, moved: true, froze: false });
    if (late.kind !== 'applied') throw new Error('expected applied');
    expect(late.state).toMatchObject({ frozen: null, moves: [139_999] });
  });

  it('is released by the operator onto the newest claim recorded, counting moves afresh', () => {
    const { state } = run(flap(7, 1_000));
    if (!state) throw new Error('no state');
    const attempt = recordVipClaim(state, claim('compute-3', 20_000, 50));
    if (attempt.kind !== 'applied') throw new Error('expected applied');
    const released = releaseVip(attempt.state);
    expect(released).toMatchObject({ frozen: null, moves: [] });
    expect(released.owner.host).toBe('compute-3');
  });
});

describe('a claim counts only for a port with a matching allowed-address pair', () => {
  const port: Port = {
    id: 'port-compute-1',
    networkId: 'net-a',
    mac: 'fa:16:3e:00:00:01',
    ips: ['10.0.0.11'],
    deviceOwner: 'compute:nova',
    deviceId: 'i-1',
    host: 'compute-1',
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
    allowedAddressPairs: [
      { ipAddress: '10.0.0.100', macAddress: '00:00:5e:00:01:07' },
      { ipAddress: '2001:db8::/64', macAddress: 'fa:16:3e:00:00:01' },
    ],
  };
  const now = 1_796_601_600_000;
  const c = (over: Partial<VipClaim>) => claim('compute-1', now, 1, over);

  it.each([
    ['the pair’s virtual MAC', c({ mac: '00:00:5e:00:01:07' }), null],
    ["the port's own MAC", c({}), null],
    ['an address inside a prefix pair', c({ ip: '2001:db8::64', kind: 'unsolicited_na' }), null],
    ['another MAC', c({ mac: 'fa:16:3e:00:00:09' }), 'mac_mismatch'],
    ['an address no pair covers', c({ ip: '10.0.0.101' }), 'no_matching_aap'],
    ["the port's own fixed IP (not a pair)", c({ ip: '10.0.0.11' }), 'no_matching_aap'],
    ['a host the port is not bound to', c({ host: 'compute-2' }), 'port_not_on_host'],
    ['another network', c({ networkId: 'net-b' }), 'network_mismatch'],
    ['a claim stamped far ahead of the controller', c({ at: now + 10_001 }), 'claim_from_the_future'],
  ])('%s', (_what, cl, reason) => {
    expect(checkVipClaim(port, cl, now)).toBe(reason);
  });

  it('refuses a claim for a port that does not exist', () => {
    expect(checkVipClaim(undefined, c({}), now)).toBe('unknown_port');
  });
});
