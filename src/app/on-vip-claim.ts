import type { VipClaimEvent } from '../contracts/events.js';
import { InvalidInputError } from '../core/errors.js';

/**
 * `vip.claim`: parsed and validated, then refused with `vip_claims_not_enabled` until the VIP
 * state has a place in the rebuilt engine and store. The rules it will apply are built and tested
 * in `src/core/vip.ts` (docs/vip.md). TODO(issue 16): record the claim (`recordVipClaim`) and plan.
 */
export async function onVipClaim(event: VipClaimEvent): Promise<never> {
  throw new InvalidInputError(
    'vip_claims_not_enabled',
    `vip.claim for ${event.ip} in network ${event.networkId} from ${event.host}: this controller does not act on VIP claims yet (docs/vip.md)`,
    { networkId: event.networkId, portId: event.portId, host: event.host },
  );
}
