import { describe, expect, it } from 'vitest';
import { replay, TRACES, tableOf } from './traces.js';

const VLAN1 = '11111111-1111-4111-8111-000000000003';

describe('D3 full-sync-unfiltered-types: only agents that l2pop a network type are VTEPs of it', () => {
  it("host4's full sync lists host5 but not host1, which does not l2pop vlan; host1 hears nothing of vlan1", async () => {
    const r = await replay(TRACES.D3);
    expect(Object.keys(tableOf(r, 'host4', VLAN1))).toEqual(['192.0.2.5']);
    expect(Object.keys(tableOf(r, 'host5', VLAN1))).toEqual(['192.0.2.4']);
    expect(r.messages.host1 ?? []).toEqual([]);
  });
});
