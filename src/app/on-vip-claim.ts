import type { VipClaimEvent } from '../contracts/events.js';
import type { RejectionCode } from '../core/errors.js';
import type { Port } from '../core/types.js';
import type { VipClaim, VipOutcome, VipRefusal } from '../core/vip.js';
import { sameVipView, type VipRecord, viewOfVip } from '../core/vip-view.js';
import { planNetwork } from './network-planner.js';
import type { FactStore, NetworkState } from './ports.js';
import { type Draft, guardNetwork, type VipOutcomeSummary } from './reconcile.js';
import { networkReader } from './router-catch-up.js';

/** The rejection code of each refusal: a claim the controller does not accept is counted by code. */
export const VIP_REFUSAL_CODES: Readonly<
  Record<VipRefusal | 'own_fixed_ip' | 'held_by_another_port', RejectionCode>
> = {
  unknown_port: 'vip_unknown_port',
  network_mismatch: 'vip_network_mismatch',
  port_not_on_host: 'vip_port_not_on_host',
  no_matching_aap: 'vip_no_matching_aap',
  mac_mismatch: 'vip_mac_mismatch',
  claim_from_the_future: 'vip_claim_from_the_future',
  own_fixed_ip: 'vip_own_fixed_ip',
  // a fixed IP a bound port other than the claimant holds (docs/vip.md, "Overlap with another port's fixed IP")
  held_by_another_port: 'aap_overlaps_fixed_ip',
};

export function claimOf(event: VipClaimEvent): VipClaim {
  const { networkId, ip, host, portId, mac, kind, at, seq } = event;
  return { networkId, ip, host, portId, mac, kind, at, seq };
}

/** What an applied claim did to its VIP (logged; a freeze and a split brain raise metrics). */
export function vipSummary(
  record: VipRecord,
  outcome: Extract<VipOutcome, { kind: 'applied' }>,
): VipOutcomeSummary {
  const { owner } = outcome.state;
  return {
    networkId: record.networkId,
    ip: record.ip,
    owner: { host: owner.host, portId: owner.portId, mac: owner.mac },
    strategy: record.strategy,
    moved: outcome.moved,
    froze: outcome.froze,
    frozen: record.state.frozen !== null,
    suppressed: outcome.suppressed,
    released: outcome.released,
    splitBrain: outcome.splitBrain,
  };
}

/** A stale claim's VIP as recorded (its owner may be none): nothing moved; the split-brain signal is the claim's own. */
export function staleVipSummary(record: VipRecord, splitBrain: boolean): VipOutcomeSummary {
  const { owner } = record.state;
  return {
    networkId: record.networkId,
    ip: record.ip,
    owner: owner ? { host: owner.host, portId: owner.portId, mac: owner.mac } : null,
    strategy: record.strategy,
    moved: false,
    froze: false,
    frozen: record.state.frozen !== null,
    suppressed: false,
    released: false,
    splitBrain,
  };
}

/** One VIP record a commit writes: as stored (the agents' tables reflect it) and after. */
export interface VipRecordWrite {
  readonly before: VipRecord | undefined;
  readonly after: VipRecord;
  /** The owner port after, as read (for the drift-audit sums' shared entries, src/core/vip-keys.ts). */
  readonly ownerPort?: Port | undefined;
}

/**
 * Writes VIP records of one network and moves its tables from the stored records' views to the
 * new ones, in one commit: each VIP item is guarded on its stored version, the network state on
 * its `seq`, and the VIPs whose view moves are one `vips` change (one version, one command per
 * agent). When no view moves (a refresh by the owner, a move suppressed while frozen with the
 * same strategy, a VIP that moved away and back), only the records are written.
 */
export async function commitVipRecords(
  store: FactStore,
  state: NetworkState,
  writes: readonly VipRecordWrite[],
  checks: NonNullable<Draft['commit']['checks']>,
  result: Draft['result'],
): Promise<Draft> {
  const vips = writes.map(({ before, after }) => ({
    value: after,
    expected: before ? before.version : null,
  }));
  const moved = writes
    .map(({ before, after, ownerPort }) => ({
      record: after,
      view: { before: before ? viewOfVip(before) : null, after: viewOfVip(after), ownerPort },
    }))
    .filter(({ view }) => !sameVipView(view.before, view.after));
  if (moved.length === 0) return { commit: { vips, checks, networks: [] }, planned: [], result };
  const planned = await planNetwork(
    state,
    { kind: 'vips', vips: moved.map((m) => m.view) },
    networkReader(
      store,
      state.network.id,
      [],
      undefined,
      moved.map((m) => m.record),
    ),
  );
  return {
    commit: { vips, checks, networks: [guardNetwork(state, planned.state)] },
    planned: [planned],
    result,
  };
}

/** `commitVipRecords` of one VIP; the result names its strategy when its view moved. */
export async function commitVipRecord(
  store: FactStore,
  state: NetworkState,
  before: VipRecord | undefined,
  after: VipRecord,
  checks: NonNullable<Draft['commit']['checks']>,
  result: Draft['result'],
  ownerPort?: Port,
): Promise<Draft> {
  const draft = await commitVipRecords(store, state, [{ before, after, ownerPort }], checks, result);
  if (draft.planned.length === 0) return draft;
  return { ...draft, result: { ...result, strategies: { [`vip:${after.ip}`]: after.strategy } } };
}
