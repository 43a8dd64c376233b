import { describe, expect, it } from 'vitest';
import { replay, TRACES, tableOf, VIP, VRRP_MAC } from './traces.js';

/**
 * D16 vip-auto: under `auto` the router rule applies per receiving agent (`computeRouterView`,
 * with the hosts whose ports announced the VIP as the hosting nodes): an agent that cannot learn
 * (host3, ARP proxy) gets the VIP binding, which Neutron never sends; learning agents whose VIP
 * hosts run no ARP proxy get nothing for it, as in Neutron.
 */
describe('D16 vip-auto: the VIP binding goes only to agents that cannot learn it', () => {
  it('host3 (ARP proxy) holds the VIP behind the owner; host4 and host1 (learning) hold nothing for it', async () => {
    const r = await replay(TRACES.D16, 'auto');
    expect(tableOf(r, 'host3')['192.0.2.2']).toContainEqual([VRRP_MAC, VIP]);
    for (const host of ['host1', 'host4'])
      for (const entries of Object.values(tableOf(r, host)))
        expect(
          entries.some(([, ip]) => ip === VIP),
          host,
        ).toBe(false);
  });
});
