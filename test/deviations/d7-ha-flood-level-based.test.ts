import { describe, expect, it } from 'vitest';
import { FLOOD, replay, TRACES, tableOf } from './traces.js';

describe('D7 flood-only-by-full-sync: HA flooding is a function of the facts, not of who reported when', () => {
  it('the standby netnode2 never reported the interface, and compute1 floods to it as soon as the interface is ACTIVE', async () => {
    const r = await replay(TRACES.D7);
    expect(tableOf(r, 'compute1')).toEqual({ '192.0.2.1': [[...FLOOD]], '192.0.2.2': [[...FLOOD]] });
    // the same facts give the same tables whatever the order: the incremental path equals a full
    // recompute (test/core/incremental.property.test.ts)
  });
});
