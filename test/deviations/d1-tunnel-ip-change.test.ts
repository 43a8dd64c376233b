import { describe, expect, it } from 'vitest';
import { FLOOD, replay, TRACES, tableOf } from './traces.js';

describe('D1 tunnel-ip-change: an agent back with a new tunnel IP is withdrawn from its old VTEP everywhere', () => {
  it('every other agent drops the old VTEP 192.0.2.2 and floods to the new one, 192.0.2.22', async () => {
    const r = await replay(TRACES.D1);
    for (const host of ['host1', 'host3']) {
      const t = tableOf(r, host);
      expect(t['192.0.2.2'], host).toBeUndefined();
      expect(t['192.0.2.22'], host).toEqual([[...FLOOD], ['fa:16:3e:00:00:02', '10.0.0.12']]);
    }
    // the restarted agent was rebuilt from a snapshot, without its own VTEP in either form
    expect(Object.keys(tableOf(r, 'host2')).sort()).toEqual(['192.0.2.1', '192.0.2.3']);
  });
});
