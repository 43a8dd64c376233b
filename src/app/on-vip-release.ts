import { ownerPortKnowsHolders } from '../core/vip-keys.js';
import { releaseVipRecord } from '../core/vip-view.js';
import { commitVipRecord } from './on-vip-claim.js';
import { vipReadKey } from './ports.js';
import { type Deps, type EventResult, livePort, runWithRetry } from './reconcile.js';

/** Why an operator release did nothing. */
export type VipReleaseRefusal = 'unknown_vip' | 'not_frozen';

/**
 * The operator's release of a frozen VIP (`l2pop vip release`, docs/vip.md "Release"): the VIP
 * moves to the newest claim recorded and counts moves afresh (`releaseVip`), and the network's
 * tables move with it, in one commit guarded on the VIP record's version and the network state,
 * then published like any event's commands (an interrupted publish is finished by the outbox
 * sweeper). A direct conditional write, not an event: it needs no new contract, and a concurrent
 * claim makes the guard fail and the release re-read.
 */
export async function releaseFrozenVip(
  deps: Deps,
  networkId: string,
  ip: string,
): Promise<EventResult | VipReleaseRefusal> {
  let refusal: VipReleaseRefusal | null = null;
  const result = await runWithRetry(deps, async (store) => {
    refusal = null;
    const read = await store.readMany({ networks: [networkId], vips: [{ networkId, ip }], flags: true });
    const before = read.vips?.get(vipReadKey(networkId, ip));
    const state = await store.getNetworkState(networkId);
    if (!before || !state) {
      refusal = 'unknown_vip';
      return null;
    }
    const flags = read.flags ?? (await store.getFlags());
    const after = releaseVipRecord(before, flags.flags);
    if (!after) {
      refusal = 'not_frozen';
      return null;
    }
    const { owner } = after.state;
    // the new owner's port: who holds the VIP's unicast entry (src/core/vip-keys.ts). Two GetItems
    // more for a rare operator action
    const macOwner = await store.getMacOwner(networkId, owner.mac);
    const ownerPort = ownerPortKnowsHolders(macOwner, owner.portId)
      ? livePort(await store.getPort(owner.portId, networkId))
      : undefined;
    return commitVipRecord(
      store,
      state,
      before,
      after,
      [{ kind: 'flags', revision: flags.revision }],
      {
        outcome: 'applied',
        splitBrain: [],
        strategies: {},
        vip: {
          networkId,
          ip,
          owner: { host: owner.host, portId: owner.portId, mac: owner.mac },
          strategy: after.strategy,
          moved: owner.portId !== before.state.owner?.portId || owner.host !== before.state.owner?.host,
          froze: false,
          frozen: false,
          suppressed: false,
          released: true,
          splitBrain: false,
        },
      },
      ownerPort,
    );
  });
  return (refusal as VipReleaseRefusal | null) ?? result;
}
