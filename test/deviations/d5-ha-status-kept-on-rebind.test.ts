import { describe, expect, it } from 'vitest';
import { FLOOD, prefix, replay, TRACES, tableOf } from './traces.js';

describe('D5 ha-status-kept-on-rebind: a failover does not take the HA interface DOWN', () => {
  it('the rebind to netnode2 changes no agent, and compute2 joining mid-failover floods to both hosting nodes', async () => {
    const failover = TRACES.D5.steps.length - 2;
    const before = await replay(prefix(TRACES.D5, failover - 2));
    const during = await replay(prefix(TRACES.D5, failover));
    expect(during.agents.log.length).toBe(before.agents.log.length);
    const port = await during.store.getPort('r1-if', '11111111-1111-4111-8111-000000000001');
    expect(port && !('deleted' in port) ? [port.host, port.status] : null).toEqual(['netnode2', 'ACTIVE']);
    const r = await replay(TRACES.D5);
    const compute2 = tableOf(r, 'compute2');
    expect(compute2['192.0.2.1']).toEqual([[...FLOOD]]);
    expect(compute2['192.0.2.2']).toEqual([[...FLOOD]]);
  });
});
