import { describe, expect, it } from 'vitest';
import { prefix, replay, TRACES, tableOf, withoutExpectedErrors } from './traces.js';

/**
 * D18 aap-overlap-use-refused: Neutron uses an allowed-address pair that covers another port's
 * fixed IP. The controller records it too (the overlap is reported, `aap_overlaps_fixed_ip`, a
 * WARN line and `AapOverlapsFound`), and refuses the pair's *use* for an address another bound
 * port holds: a claim of it, and a binding a port keeps once another port takes its address as a
 * fixed IP (docs/vip.md, "Overlap with another port's fixed IP"). neutron-side.test.ts runs the
 * same updates through Neutron, which accepts them.
 */
const VM1 = 'fa:16:3e:00:00:01';
const VM2 = 'fa:16:3e:00:00:02';
const VM3 = 'fa:16:3e:00:00:03';

describe('D18 aap-overlap-use-refused: the pair is recorded; claims and bindings of addresses another port holds are refused', () => {
  it('records both pairs, refuses the claim of vm1’s address, binds a free one, and withdraws it when vm3 takes it', async () => {
    // replay fails a step marked expect_error that the controller accepts
    const r = await replay(TRACES.D18, 'master-binding');
    const vm2 = await r.store.getPort('vm2', 'net1');
    expect(vm2 && 'allowedAddressPairs' in vm2 ? vm2.allowedAddressPairs : []).toEqual([
      { ipAddress: '10.0.0.8/29', macAddress: VM2 },
    ]);
    expect(tableOf(r, 'host2')['192.0.2.1']).toContainEqual([VM1, '10.0.0.11']);
    expect(tableOf(r, 'host2')['192.0.2.1']).toContainEqual([VM3, '10.0.0.12']);
    expect(tableOf(r, 'host1')['192.0.2.2']).toContainEqual([VM2, '10.0.0.20']);
    // one entry per address: vm2's binding of 10.0.0.12 is gone, vm1's address was never bound
    for (const ip of ['10.0.0.11', '10.0.0.12'])
      expect(tableOf(r, 'host1')['192.0.2.2']?.filter(([, x]) => x === ip)).toEqual([]);
  });

  it('the binding of the free address stood until vm3 took it', async () => {
    const before = await replay(prefix(TRACES.D18, TRACES.D18.steps.length - 2), 'master-binding');
    expect(tableOf(before, 'host1')['192.0.2.2']).toContainEqual([VM2, '10.0.0.12']);
  });

  it('would fail if the controller accepted the claim (the trace without its expect_error mark)', async () => {
    await expect(replay(withoutExpectedErrors(TRACES.D18))).rejects.toThrow(
      /aap_overlaps_fixed_ip|fixed IP of port/,
    );
  });
});
