import { describe, expect, it } from 'vitest';
import { prefix, replay, TRACES } from './traces.js';

describe('D8 first-port-heuristic: an agent gets a snapshot exactly when it joins a network', () => {
  it("host1's second ACTIVE port sends host1 no entry, only the version step (Neutron counts 1 or 2 ports as first and casts it the full FDB again)", async () => {
    const before = await replay(prefix(TRACES.D8, TRACES.D8.steps.length - 1));
    const r = await replay(TRACES.D8);
    const fresh = r.agents.log.slice(before.agents.log.length);
    const payloads = (c: (typeof fresh)[number]) =>
      c.command.kind === 'delta' ? c.command.payloads.length : -1;
    // every member hears of every version (docs/data-model.md, "Constant write capacity in hosts")
    expect(fresh.map((c) => `${c.host} ${c.command.kind} ${payloads(c)}`)).toEqual([
      'host1 delta 0',
      'host2 delta 1',
    ]);
  });

  it('a lone first port gets an empty snapshot: it carries the version the next delta builds on', async () => {
    const r = await replay(prefix(TRACES.D8, 3));
    const first = r.agents.log.find((c) => c.host === 'host1')?.command;
    expect(first?.kind).toBe('snapshot');
    expect(first?.kind === 'snapshot' ? Object.values(first.fdb_entries)[0]?.ports : null).toEqual({});
  });

  it('refresh_tunnels (an agent restart) gets the reporting agent a snapshot of each of its networks', async () => {
    const trace = {
      ...TRACES.D8,
      steps: [...TRACES.D8.steps, { op: 'port_up', port: 'p3', refresh_tunnels: true }],
    };
    const before = await replay(TRACES.D8);
    const r = await replay(trace);
    const fresh = r.agents.log.slice(before.agents.log.length);
    expect(fresh.map((c) => `${c.host} ${c.command.kind}`)).toEqual(['host2 snapshot']);
  });
});
