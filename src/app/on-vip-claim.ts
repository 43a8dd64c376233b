import type { VipClaimEvent } from '../contracts/events.js';
import { InvalidInputError, type RejectionCode } from '../core/errors.js';
import {
  checkVipClaim,
  DEFAULT_VIP_CONFIG,
  recordVipClaim,
  type VipClaim,
  type VipOutcome,
  type VipRefusal,
} from '../core/vip.js';
import {
  newVipRecord,
  resolveVipStrategy,
  sameVipView,
  type VipRecord,
  viewOfVip,
} from '../core/vip-view.js';
import { planNetwork } from './network-planner.js';
import { type FactStore, type NetworkState, vipReadKey } from './ports.js';
import {
  type Deps,
  type Draft,
  type EventResult,
  guardNetwork,
  livePort,
  runWithRetry,
  type VipOutcomeSummary,
} from './reconcile.js';
import { networkReader } from './router-catch-up.js';

/** The rejection code of each refusal: a claim the controller does not accept is counted by code. */
export const VIP_REFUSAL_CODES: Readonly<Record<VipRefusal | 'own_fixed_ip', RejectionCode>> = {
  unknown_port: 'vip_unknown_port',
  network_mismatch: 'vip_network_mismatch',
  port_not_on_host: 'vip_port_not_on_host',
  no_matching_aap: 'vip_no_matching_aap',
  mac_mismatch: 'vip_mac_mismatch',
  claim_from_the_future: 'vip_claim_from_the_future',
  own_fixed_ip: 'vip_own_fixed_ip',
};

export function claimOf(event: VipClaimEvent): VipClaim {
  const { networkId, ip, host, portId, mac, kind, at, seq } = event;
  return { networkId, ip, host, portId, mac, kind, at, seq };
}

function summary(record: VipRecord, outcome: Extract<VipOutcome, { kind: 'applied' }>): VipOutcomeSummary {
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

/**
 * Writes a VIP record and moves its network's tables from the stored record's view to the new
 * one, in one commit: the VIP item is guarded on its version, the network state on its `seq`.
 * When the view does not move (a refresh by the owner, a move suppressed while frozen with the
 * same strategy), only the record is written.
 */
export async function commitVipRecord(
  store: FactStore,
  state: NetworkState,
  before: VipRecord | undefined,
  after: VipRecord,
  checks: NonNullable<Draft['commit']['checks']>,
  result: Draft['result'],
): Promise<Draft> {
  const viewBefore = before ? viewOfVip(before) : null;
  const viewAfter = viewOfVip(after);
  const vips = [{ value: after, expected: before ? before.version : null }];
  if (sameVipView(viewBefore, viewAfter))
    return { commit: { vips, checks, networks: [] }, planned: [], result };
  const planned = await planNetwork(
    state,
    { kind: 'vips', vips: [{ before: viewBefore, after: viewAfter }] },
    networkReader(store, state.network.id, [], undefined, [after]),
  );
  return {
    commit: { vips, checks, networks: [guardNetwork(state, planned.state)] },
    planned: [planned],
    result: { ...result, strategies: { [`vip:${after.ip}`]: after.strategy } },
  };
}

/**
 * `vip.claim` (docs/vip.md): accepted only when the claiming port, bound to the reporting host,
 * has an allowed-address pair covering the VIP with the announced MAC (`checkVipClaim`); otherwise
 * a typed rejection (`vip_<reason>`), which is counted and changes nothing. An accepted claim is
 * ordered against the VIP's record (`recordVipClaim`: a stale one changes nothing), and the record
 * and the network's tables move in one commit. Steady state: one BatchGetItem (network state, its
 * PUBLISHED marker, the port, the VIP record, the flags), one TransactWriteItems, and the outbox
 * record's deletion after publishing.
 */
export async function onVipClaim(deps: Deps, event: VipClaimEvent): Promise<EventResult> {
  const config = deps.vip ?? DEFAULT_VIP_CONFIG;
  const now = (deps.now ?? Date.now)();
  const claim = claimOf(event);
  let stale: Extract<VipOutcome, { kind: 'stale' }> | null = null;
  let staleRecord: VipRecord | undefined;
  const result = await runWithRetry(deps, async (store) => {
    stale = null;
    const read = await store.readMany({
      networks: [claim.networkId],
      ports: [{ id: claim.portId, networkId: claim.networkId }],
      vips: [{ networkId: claim.networkId, ip: claim.ip }],
      flags: true,
    });
    const state = await store.getNetworkState(claim.networkId);
    const port = livePort(await store.getPort(claim.portId, claim.networkId));
    const refusal =
      checkVipClaim(port, claim, now, config) ?? (port?.ips.includes(claim.ip) ? 'own_fixed_ip' : null);
    if (refusal || !state)
      throw new InvalidInputError(
        VIP_REFUSAL_CODES[refusal ?? 'unknown_port'],
        `vip.claim for ${claim.ip} in network ${claim.networkId} from port ${claim.portId} on ${claim.host} refused: ${refusal ?? 'unknown network'}`,
        { networkId: claim.networkId, portId: claim.portId, host: claim.host, ip: claim.ip, mac: claim.mac },
      );
    const before = read.vips?.get(vipReadKey(claim.networkId, claim.ip));
    const outcome = recordVipClaim(before?.state, claim, config);
    if (outcome.kind === 'stale') {
      stale = outcome;
      staleRecord = before;
      return null;
    }
    const flags = read.flags ?? (await store.getFlags());
    const strategy = resolveVipStrategy(flags.flags, claim.networkId, claim.ip, outcome.state.owner.portId);
    const after: VipRecord = before
      ? {
          ...before,
          state: outcome.state,
          strategy: strategy.strategy,
          holders: { ...before.holders, [claim.portId]: claim.host },
          version: before.version + 1,
        }
      : newVipRecord(claim, outcome.state, strategy.strategy);
    return commitVipRecord(store, state, before, after, [{ kind: 'flags', revision: flags.revision }], {
      outcome: 'applied',
      splitBrain: [],
      strategies: {},
      vip: summary(after, outcome),
    });
  });
  const s = stale as Extract<VipOutcome, { kind: 'stale' }> | null;
  if (s && staleRecord) {
    const { owner } = staleRecord.state;
    return {
      ...result,
      vip: {
        networkId: staleRecord.networkId,
        ip: staleRecord.ip,
        owner: owner ? { host: owner.host, portId: owner.portId, mac: owner.mac } : null,
        strategy: staleRecord.strategy,
        moved: false,
        froze: false,
        frozen: staleRecord.state.frozen !== null,
        suppressed: false,
        released: false,
        splitBrain: s.splitBrain,
      },
    };
  }
  return result;
}
