import { describe, expect, it } from 'vitest';
import { prefix, replay, TRACES, tableOf, VIP, VRRP_MAC } from './traces.js';

/**
 * D15 vip-master-binding: Neutron's l2pop sends nothing for allowed-address pairs; under
 * `master-binding` every agent gets the VIP bound to the claimed (virtual) MAC behind the owner's
 * VTEP, moved by each newer claim. Under `tunnel` the same trace equals Neutron
 * (test/neutron/regressions/vip-allowed-address-pairs.json; neutron-side.test.ts runs this trace).
 */

describe('D15 vip-master-binding: a VIP claim binds the VIP on every agent, where Neutron sends nothing', () => {
  it('binds the VIP behind vm1’s host, then moves it behind vm2’s when vm2 claims it', async () => {
    const first = await replay(prefix(TRACES.D15, TRACES.D15.steps.length - 1), 'master-binding');
    expect(tableOf(first, 'host3')['192.0.2.1']).toContainEqual([VRRP_MAC, VIP]);
    const r = await replay(TRACES.D15, 'master-binding');
    expect(tableOf(r, 'host3')['192.0.2.2']).toContainEqual([VRRP_MAC, VIP]);
    expect(tableOf(r, 'host3')['192.0.2.1']).not.toContainEqual([VRRP_MAC, VIP]);
    expect(tableOf(r, 'host1')['192.0.2.2']).toContainEqual([VRRP_MAC, VIP]);
  });

  it('withdraws the binding from every agent when the owner’s port is deleted or moves host, until a claim takes it again', async () => {
    const withStep = (...steps: Record<string, unknown>[]) => ({
      ...TRACES.D15,
      steps: [...TRACES.D15.steps, ...steps],
    });
    const bound = (r: Awaited<ReturnType<typeof replay>>, host: string) =>
      Object.values(tableOf(r, host)).some((es) => es.some(([mac, ip]) => mac === VRRP_MAC || ip === VIP));
    // vm2 owns the VIP at the end of the trace
    const deleted = await replay(withStep({ op: 'delete_port', port: 'vm2' }), 'master-binding');
    for (const host of ['host1', 'host3']) expect(bound(deleted, host), host).toBe(false);
    const moved = await replay(
      withStep({ op: 'migrate_port', port: 'vm2', host: 'host3' }),
      'master-binding',
    );
    expect(bound(moved, 'host1')).toBe(false);
    // vm1, still holding the pair on host1, announces: bound behind host1 again
    const taken = await replay(
      withStep({ op: 'delete_port', port: 'vm2' }, { op: 'vip_claim', port: 'vm1', ip: VIP, mac: VRRP_MAC }),
      'master-binding',
    );
    expect(tableOf(taken, 'host3')['192.0.2.1']).toContainEqual([VRRP_MAC, VIP]);
  });

  it('under tunnel, as Neutron: no agent has an entry for the VIP or the virtual MAC', async () => {
    const r = await replay(TRACES.D15, 'tunnel');
    for (const host of ['host1', 'host2', 'host3'])
      for (const entries of Object.values(tableOf(r, host)))
        for (const [mac, ip] of entries) {
          expect(ip).not.toBe(VIP);
          expect(mac).not.toBe(VRRP_MAC);
        }
  });
});
