import { describe, expect, it } from 'vitest';
import { NET1, prefix, replay, TRACES } from './traces.js';

describe('D9 addressed-messages: one versioned command per affected agent, never a broadcast', () => {
  it('a port up in net1 reaches host1 once, and host3 (only in net2) not at all', async () => {
    const before = await replay(prefix(TRACES.D9, TRACES.D9.steps.length - 1));
    const r = await replay(TRACES.D9);
    const fresh = r.agents.log.slice(before.agents.log.length);
    // the port's own host (host2) gets the version step only: every member hears of every version
    expect(fresh.map((c) => [c.host, c.command.kind, c.command.networkId])).toEqual([
      ['host1', 'delta', NET1],
      ['host2', 'delta', NET1],
    ]);
    const [delta, step] = fresh.map((c) => c.command);
    expect(delta?.kind === 'delta' ? delta.payloads.map((p) => p.method) : null).toEqual(['add_fdb_entries']);
    expect(step?.kind === 'delta' ? step.payloads : null).toEqual([]);
    expect(r.agents.log.filter((c) => c.host === 'host3').every((c) => c.command.networkId !== NET1)).toBe(
      true,
    );
  });
});
