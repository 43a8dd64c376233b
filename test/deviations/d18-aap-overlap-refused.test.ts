import { describe, expect, it } from 'vitest';
import { replay, TRACES, tableOf, withoutExpectedErrors } from './traces.js';

/**
 * D18 aap-overlap-refused: Neutron accepts an allowed-address pair that covers another port's
 * fixed IP; the controller refuses it (`aap_overlaps_fixed_ip`, docs/vip.md "Overlap with another
 * port's fixed IP"), as a bare address and as a prefix, and the port keeps its previous record.
 * neutron-side.test.ts runs the same updates through Neutron, which accepts them.
 */
describe('D18 aap-overlap-refused: a pair covering a bound port’s fixed IP is refused, where Neutron accepts it', () => {
  it('refuses the bare address and the prefix, and nothing else changes', async () => {
    // replay fails a step marked expect_error that the controller accepts
    const r = await replay(TRACES.D18, 'master-binding');
    expect(tableOf(r, 'host2')['192.0.2.1']).toContainEqual(['fa:16:3e:00:00:01', '10.0.0.11']);
    expect(tableOf(r, 'host1')['192.0.2.2']).toContainEqual(['fa:16:3e:00:00:02', '10.0.0.20']);
  });

  it('would fail if the controller accepted the updates (the trace as Neutron is given it)', async () => {
    await expect(replay(withoutExpectedErrors(TRACES.D18))).rejects.toThrow(
      /aap_overlaps_fixed_ip|covers fixed IP/,
    );
  });
});
