import { describe, expect, it } from 'vitest';
import { prefix, replay, TRACES, tableOf } from './traces.js';

const VLAN1 = '11111111-1111-4111-8111-000000000003';

describe('D6 ha-removal-skipped: removing an HA interface withdraws its nodes, whatever its binding host l2pops', () => {
  it('compute3 stops flooding to netnode2 when the interface bound to netnode1 (no vlan l2pop) is removed', async () => {
    const before = await replay(prefix(TRACES.D6, TRACES.D6.steps.length - 1));
    expect(Object.keys(tableOf(before, 'compute3', VLAN1))).toEqual(['192.0.2.2']);
    const r = await replay(TRACES.D6);
    expect(tableOf(r, 'compute3', VLAN1)).toEqual({});
    expect(r.agents.log.filter((c) => c.host === 'netnode2').at(-1)?.command.kind).toBe('leave');
  });
});
