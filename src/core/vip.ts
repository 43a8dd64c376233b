import { pairCovers, pairsOf } from './aap.js';
import type { Port } from './types.js';

/**
 * VIP claims: which port holds a VIP (an address some ports carry as an allowed-address pair),
 * from what hosts saw announced. Pure; the engine will record `VipState` per (network, VIP) and
 * plan from its owner (issue 16, docs/vip.md).
 */

/** How a host saw a VIP announced: an IPv4 gratuitous ARP or an IPv6 unsolicited neighbour advertisement. */
export const VIP_CLAIM_KINDS = ['garp', 'unsolicited_na'] as const;
export type VipClaimKind = (typeof VIP_CLAIM_KINDS)[number];

export interface VipClaim {
  readonly networkId: string;
  /** The VIP, canonical. */
  readonly ip: string;
  readonly host: string;
  readonly portId: string;
  /** The MAC the VIP was announced with (the port's own, or a virtual MAC). */
  readonly mac: string;
  readonly kind: VipClaimKind;
  /** The agent's observation time, ms since the epoch, never stepping back within a boot. */
  readonly at: number;
  /** Grows per host. */
  readonly seq: number;
}

/** The ordering key of claims for one VIP: (at, host, seq), compared in that order. */
export function compareClaims(
  a: Pick<VipClaim, 'at' | 'host' | 'seq'>,
  b: Pick<VipClaim, 'at' | 'host' | 'seq'>,
): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** Who holds a VIP: a move is a change of any of these. */
export function sameHolder(a: VipClaim, b: VipClaim): boolean {
  return a.host === b.host && a.portId === b.portId && a.mac === b.mac;
}

export interface VipConfig {
  /** N: more than this many moves inside `windowMs` freezes the VIP. */
  readonly maxMoves: number;
  /** T, in ms. */
  readonly windowMs: number;
  /** A frozen VIP with no move attempted for this long (claim time) is released by the next claim. */
  readonly holdMs: number;
  /** A move whose displaced owner announced less than this before raises the split-brain signal. */
  readonly splitBrainMs: number;
  /** A claim stamped further ahead of the controller's clock is refused (`claim_from_the_future`). */
  readonly maxFutureMs: number;
}

/** 5 moves in 180 s, as EVPN's duplicate-address detection defaults (RFC 7432 §15.1). */
export const DEFAULT_VIP_CONFIG: VipConfig = {
  maxMoves: 5,
  windowMs: 180_000,
  holdMs: 180_000,
  splitBrainMs: 1_000,
  maxFutureMs: 10_000,
};

export interface VipFreeze {
  /** Claim time of the move that froze it. */
  readonly at: number;
  /** Claim time of the last move refused while frozen (or `at`). */
  readonly lastAttempt: number;
}

export interface VipState {
  /**
   * The claim that holds the VIP (its holder's latest); null: none does, because the owner's port
   * lost the right to it (deleted, unbound, moved, or no longer covering it: `unbindVip`,
   * src/core/vip-binding.ts). The next accepted claim newer than `newest` takes it.
   */
  readonly owner: VipClaim | null;
  /** The newest claim recorded: every claim not newer is stale. Differs from `owner` only while frozen. */
  readonly newest: VipClaim;
  /** Claim times of the moves inside the window, oldest first (at most `maxMoves + 1`). */
  readonly moves: readonly number[];
  readonly frozen: VipFreeze | null;
}

/** Why a claim is refused: a tenant must not be able to take an address its port may not use. */
export type VipRefusal =
  | 'unknown_port'
  | 'network_mismatch'
  | 'port_not_on_host'
  | 'no_matching_aap'
  | 'mac_mismatch'
  | 'claim_from_the_future';

/**
 * Refuses a claim unless the (live) port is in the claim's network, bound to the claiming host,
 * and has an allowed-address pair that covers the IP with the announced MAC: the pair's MAC or the
 * port's own. `now` is the controller's clock (ms).
 */
export function checkVipClaim(
  port: Port | undefined,
  claim: VipClaim,
  now: number,
  config: VipConfig = DEFAULT_VIP_CONFIG,
): VipRefusal | null {
  if (claim.at > now + config.maxFutureMs) return 'claim_from_the_future';
  if (!port) return 'unknown_port';
  if (port.networkId !== claim.networkId) return 'network_mismatch';
  // an unbound port is on no host, whatever a claim says
  if (port.host === '' || port.host !== claim.host) return 'port_not_on_host';
  const covering = pairsOf(port).filter((p) => pairCovers(p, claim.ip));
  if (covering.length === 0) return 'no_matching_aap';
  return covering.some((p) => p.macAddress === claim.mac) || port.mac === claim.mac ? null : 'mac_mismatch';
}

/** A state with an owner: what every applied claim leaves. */
export interface HeldVipState extends VipState {
  readonly owner: VipClaim;
}

export type VipOutcome =
  | { readonly kind: 'stale'; readonly splitBrain: boolean }
  | {
      readonly kind: 'applied';
      readonly state: HeldVipState;
      /** The holder changed (the first claim included). */
      readonly moved: boolean;
      /** This move froze the VIP (the flapping signal). */
      readonly froze: boolean;
      /** A move refused because the VIP is frozen. */
      readonly suppressed: boolean;
      /** The hold time had passed: the VIP was released before this claim. */
      readonly released: boolean;
      /** The displaced (or kept) holder announced within `splitBrainMs` of this claim. */
      readonly splitBrain: boolean;
    };

const applied = (
  state: HeldVipState,
  flags: Partial<Omit<Extract<VipOutcome, { kind: 'applied' }>, 'kind'>>,
) =>
  ({
    kind: 'applied',
    state,
    moved: false,
    froze: false,
    suppressed: false,
    released: false,
    splitBrain: false,
    ...flags,
  }) as const;

/**
 * Records an accepted claim (`checkVipClaim` passed). A claim not newer than the newest recorded
 * one is stale: a duplicate or a late claim never changes the state, so it never moves the VIP
 * back. A newer claim from the holder refreshes it; from another holder it moves the VIP, unless
 * the VIP is frozen. The move that makes more than `maxMoves` inside `windowMs` freezes the VIP on
 * that (latest) holder; a frozen VIP is released by the first claim at least `holdMs` after the
 * last refused move, or by `releaseVip`. A VIP without an owner (its owner's port lost it) is
 * taken by the next claim that is not stale, as by a first claim.
 */
export function recordVipClaim(
  state: VipState | undefined,
  claim: VipClaim,
  config: VipConfig = DEFAULT_VIP_CONFIG,
): VipOutcome {
  if (!state) return applied({ owner: claim, newest: claim, moves: [], frozen: null }, { moved: true });
  const near = (other: VipClaim | null) =>
    other !== null && !sameHolder(claim, other) && Math.abs(claim.at - other.at) < config.splitBrainMs;
  if (compareClaims(claim, state.newest) <= 0) return { kind: 'stale', splitBrain: near(state.owner) };
  if (state.owner === null)
    return applied({ owner: claim, newest: claim, moves: [], frozen: null }, { moved: true });
  const released = state.frozen !== null && claim.at - state.frozen.lastAttempt >= config.holdMs;
  const s: HeldVipState = released
    ? { ...state, owner: state.owner, moves: [], frozen: null }
    : { ...state, owner: state.owner };
  if (sameHolder(claim, s.owner)) return applied({ ...s, owner: claim, newest: claim }, { released });
  const splitBrain = near(s.owner);
  if (s.frozen) {
    const frozen = { ...s.frozen, lastAttempt: claim.at };
    return applied({ ...s, newest: claim, frozen }, { suppressed: true, splitBrain });
  }
  const moves = [...s.moves.filter((t) => t > claim.at - config.windowMs), claim.at];
  const froze = moves.length > config.maxMoves;
  const frozen = froze ? { at: claim.at, lastAttempt: claim.at } : null;
  return applied(
    { owner: claim, newest: claim, moves, frozen },
    { moved: true, froze, released, splitBrain },
  );
}

/**
 * The operator's release of a frozen VIP: it moves to the newest claim recorded (the best
 * knowledge of who announced last) and counts moves afresh.
 */
export function releaseVip(state: VipState): HeldVipState {
  return { owner: state.newest, newest: state.newest, moves: [], frozen: null };
}
