import { describe, expect, it } from 'vitest';
import { FLOOD, prefix, replay, TRACES, tableOf } from './traces.js';

const RP = ['fa:16:3e:aa:00:01', '10.0.0.1'];
const VM1 = ['fa:16:3e:00:00:01', '10.0.0.11'];

describe('D17 ha-standby-present: under master-binding every node hosting the router is a VTEP of its network', () => {
  const wired = prefix(TRACES.D17, TRACES.D17.steps.length - 2);

  it('the standby netnode2 floods and is flooded to before any failover; the unicast entry points at the master', async () => {
    const r = await replay(wired, 'master-binding');
    expect(tableOf(r, 'compute1')).toEqual({ '192.0.2.1': [[...FLOOD], RP], '192.0.2.2': [[...FLOOD]] });
    expect(tableOf(r, 'netnode2')).toEqual({
      '192.0.2.1': [[...FLOOD], RP],
      '192.0.2.11': [[...FLOOD], VM1],
    });
    expect(tableOf(r, 'netnode1')).toEqual({ '192.0.2.11': [[...FLOOD], VM1], '192.0.2.2': [[...FLOOD]] });
  });

  it('a failover to netnode2 moves only the interface entry: no snapshot, no host joins', async () => {
    const before = await replay(wired, 'master-binding');
    const r = await replay(TRACES.D17, 'master-binding');
    expect(tableOf(r, 'compute1')).toEqual({ '192.0.2.1': [[...FLOOD]], '192.0.2.2': [[...FLOOD], RP] });
    for (const host of ['compute1', 'netnode1', 'netnode2']) {
      const sent = (r.messages[host] ?? []).slice((before.messages[host] ?? []).length);
      expect(
        sent.map((m) => m.kind),
        host,
      ).not.toContain('snapshot');
    }
    // under tunnel the same facts give the same presence (Neutron 21's flooding to every HA agent)
    const tunnel = await replay(TRACES.D17, 'tunnel');
    expect(Object.keys(tableOf(tunnel, 'compute1')).sort()).toEqual(
      Object.keys(tableOf(r, 'compute1')).sort(),
    );
  });
});
