import type { EntryContribution, PortContribution } from './contribution.js';
import { EMPTY_CONTRIBUTION } from './contribution.js';
import { computeRolloutBucket, type StrategySource } from './flags.js';
import type { FlagSettings, Strategy } from './types.js';
import { type HeldVipState, releaseVip, type VipClaim, type VipState } from './vip.js';

/**
 * What the controller records about one VIP of one network (docs/vip.md, "Recording"): the claim
 * state of `src/core/vip.ts`, the strategy the network's tables reflect for it, and the ports whose
 * claims were accepted with the host they claimed from (the hosts `auto` considers). Stored as an
 * item of its own (`NET#<network>` / `VIP#<ip>`), written in the network's commit, so the view
 * derived from it (`viewOfVip`) is always the one the agents' tables reflect.
 */
export interface VipRecord {
  readonly networkId: string;
  /** The VIP, canonical. */
  readonly ip: string;
  readonly state: VipState;
  readonly strategy: Strategy;
  /** Port id -> the host of its latest accepted claim. */
  readonly holders: Readonly<Record<string, string>>;
  /** Bumped on every write: the item's optimistic guard. */
  readonly version: number;
}

/** A record whose VIP has an owner. */
export type HeldVipRecord = VipRecord & { readonly state: HeldVipState };

/** What of a VIP the desired tables depend on: where its owner announced it, with which MAC, how. */
export interface VipView {
  readonly ip: string;
  readonly host: string;
  readonly portId: string;
  readonly mac: string;
  readonly strategy: Strategy;
  /** The hosts of the VIP's ports that announced it, sorted: `auto`'s hosting nodes. */
  readonly hosting: readonly string[];
}

/** The view of a VIP record; null when no port owns it (its owner's port lost it): no binding. */
export function viewOfVip(record: VipRecord): VipView | null {
  const { owner } = record.state;
  if (!owner) return null;
  return {
    ip: record.ip,
    host: owner.host,
    portId: owner.portId,
    mac: owner.mac,
    strategy: record.strategy,
    hosting: [...new Set(Object.values(record.holders))].sort(),
  };
}

export function sameVipView(a: VipView | null | undefined, b: VipView | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return (
    a.ip === b.ip &&
    a.host === b.host &&
    a.portId === b.portId &&
    a.mac === b.mac &&
    a.strategy === b.strategy &&
    a.hosting.length === b.hosting.length &&
    a.hosting.every((h, i) => h === b.hosting[i])
  );
}

/**
 * What a VIP adds to its network (docs/vip.md, "Strategies"):
 * - `tunnel`: nothing. The hosts of its ports are present through the ports themselves (an ACTIVE
 *   bound port makes its host present), agents flood to them and learn the owner, and there is no
 *   ARP or neighbour entry and no unicast entry for a virtual MAC: exactly Neutron's l2pop, which
 *   ignores allowed-address pairs.
 * - `master-binding`: `[claimed MAC, VIP]` behind the owner's VTEP for every agent: an ARP or
 *   neighbour entry VIP -> MAC and, when the MAC is a virtual one, its unicast FDB entry. The
 *   owner's host is present through it (every entry's host is in its contribution's presence).
 * - `auto`: the same entry, seen only by agents whose view is `master-binding` under the router
 *   rule (`computeRouterView`) with the VIP's announcing hosts as the hosting nodes, which are
 *   present (flooded to) through it, as an `auto` router's hosts are.
 */
export function computeVipContribution(view: VipView | null): PortContribution {
  if (!view || view.strategy === 'tunnel') return EMPTY_CONTRIBUTION;
  const entry: EntryContribution = {
    host: view.host,
    entry: [view.mac, view.ip] as const,
    audience:
      view.strategy === 'master-binding'
        ? { kind: 'all' }
        : { kind: 'master-binding-view', hosting: view.hosting },
  };
  // Under `auto` the hosting hosts decide who sees the entry (`computeRouterView`), so they are in
  // the presence too, as a router's hosts are: their membership then changes only with this
  // contribution, which the incremental planner relies on (planSourceChanges, condition (c)).
  const presence = view.strategy === 'auto' ? [...new Set([view.host, ...view.hosting])].sort() : [view.host];
  return { presence, entries: [entry] };
}

/** The rollout key of a VIP: stable per (network, address). */
export const vipRolloutKey = (networkId: string, ip: string): string => `${networkId}/${ip}`;

export type VipStrategySource = 'port' | Exclude<StrategySource, 'router'>;

/**
 * A VIP's strategy, resolved like a router's: the owner port's override, the network's, the
 * rollout (bucket of `network/ip`), the global default. Router overrides do not apply.
 */
export function resolveVipStrategy(
  flags: FlagSettings,
  networkId: string,
  ip: string,
  ownerPortId: string,
): { readonly strategy: Strategy; readonly source: VipStrategySource } {
  const byPort = flags.ports?.[ownerPortId];
  if (byPort) return { strategy: byPort, source: 'port' };
  const byNetwork = flags.networks[networkId];
  if (byNetwork) return { strategy: byNetwork, source: 'network' };
  if (flags.rollout && computeRolloutBucket(vipRolloutKey(networkId, ip)) < flags.rollout.percent)
    return { strategy: flags.rollout.strategy, source: 'rollout' };
  return { strategy: flags.defaultStrategy, source: 'default' };
}

/** A new record from the first accepted claim of a VIP. */
export function newVipRecord(claim: VipClaim, state: VipState, strategy: Strategy): VipRecord {
  return {
    networkId: claim.networkId,
    ip: claim.ip,
    state,
    strategy,
    holders: { [claim.portId]: claim.host },
    version: 1,
  };
}

/** The views of VIP records, those without an owner left out (they bind nothing). */
export function viewsOfVips(records: readonly VipRecord[]): VipView[] {
  return records.map(viewOfVip).filter((v): v is VipView => v !== null);
}

/** The operator's release (`releaseVip`) as a record write; null when the VIP is not frozen. */
export function releaseVipRecord(record: VipRecord, flags: FlagSettings): HeldVipRecord | null {
  if (!record.state.frozen) return null;
  const state = releaseVip(record.state);
  return {
    ...record,
    state,
    strategy: resolveVipStrategy(flags, record.networkId, record.ip, state.owner.portId).strategy,
    version: record.version + 1,
  };
}
