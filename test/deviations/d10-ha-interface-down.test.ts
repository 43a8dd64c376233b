import { describe, expect, it } from 'vitest';
import { FLOOD, prefix, replay, TRACES, tableOf } from './traces.js';

describe('D10 ha-interface-down: while the HA interface is DOWN no node is present through it', () => {
  it("the master's DOWN report withdraws compute1's flooding to both hosting nodes; the next up restores it", async () => {
    const before = await replay(prefix(TRACES.D10, TRACES.D10.steps.length - 1));
    expect(Object.keys(tableOf(before, 'compute1')).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
    const r = await replay(TRACES.D10);
    expect(tableOf(r, 'compute1')).toEqual({});
    const back = await replay({
      ...TRACES.D10,
      steps: [...TRACES.D10.steps, { op: 'port_up', port: 'r1-if', host: 'netnode1' }],
    });
    expect(tableOf(back, 'compute1')).toEqual({ '192.0.2.1': [[...FLOOD]], '192.0.2.2': [[...FLOOD]] });
  });
});
