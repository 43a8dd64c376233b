import { describe, expect, it } from 'vitest';
import { FLOOD, replay, TRACES, tableOf } from './traces.js';

describe('D4 ha-backup-before-master: every hosting node is a VTEP once the HA interface is ACTIVE', () => {
  it('netnode2 reported the interface before the master made it ACTIVE, and compute1 still floods to it', async () => {
    const r = await replay(TRACES.D4);
    expect(tableOf(r, 'compute1')).toEqual({ '192.0.2.1': [[...FLOOD]], '192.0.2.2': [[...FLOOD]] });
    expect(Object.keys(tableOf(r, 'netnode2')).sort()).toEqual(['192.0.2.1', '192.0.2.11']);
  });
});
