import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../src/contracts/events.js';
import { buildDefaultScenario, DEFAULT_AGENTS } from '../../tools/sim/default-scenario.js';
import { loadScenarioSource, phasesFromEvents, ScenarioInputError } from '../../tools/sim/load-scenario.js';
import { scenarioSchema } from '../../tools/sim/scenario.js';

const ha = (host: string, state: 'active' | 'standby', seq: number): InboundEvent => ({
  type: 'ha.state',
  v: 1,
  routerId: 'r1',
  host,
  state,
  term: 0,
  seq,
});

describe('the default scenario', () => {
  it('is a valid scenario for every strategy, with the three failovers and a per-router flag flip', () => {
    for (const s of ['tunnel', 'master-binding', 'auto'] as const) {
      const scenario = scenarioSchema.parse(buildDefaultScenario(s));
      const failovers = scenario.phases.flatMap((p) => (p.failover ? [p.failover] : []));
      expect(failovers.map((f) => [f.router, f.from, f.to, f.mode])).toEqual([
        ['r1', 'net1', 'net2', 'graceful'],
        ['r1', 'net2', 'net1', 'node-loss'],
        ['r2', 'net1', 'net3', 'graceful'],
      ]);
      const flip = scenario.phases.flatMap((p) => p.events).find((e) => e.type === 'flags.set');
      expect(flip?.type === 'flags.set' && flip.flags).toMatchObject({
        defaultStrategy: s,
        routers: { r1: expect.any(String) },
      });
      expect(flip?.type === 'flags.set' && flip.flags.routers.r1).not.toBe(s);
    }
  });

  it("mixes Open vSwitch agents with kernel ARP-proxy agents; r1's standby node is a proxy one, r2's nodes are not", () => {
    const arp = DEFAULT_AGENTS.map((a) => a.capabilities.arp);
    const arpOf = (host: string) => DEFAULT_AGENTS.find((a) => a.host === host)?.capabilities.arp;
    expect(arp.filter((a) => a === 'responder').length).toBeGreaterThanOrEqual(3);
    expect(arp.filter((a) => a === 'proxy').length).toBeGreaterThanOrEqual(2);
    expect(arpOf('net2')).toBe('proxy');
    expect([arpOf('net1'), arpOf('net3')]).toEqual(['responder', 'responder']);
    expect(DEFAULT_AGENTS.filter((a) => a.host.startsWith('compute'))).toHaveLength(6);
  });
});

describe('cutting an event list into phases', () => {
  it('makes a failover phase of a report that moves the master, with the standby report before it', () => {
    const phases = phasesFromEvents([
      { type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['n1', 'n2'], revision: 1 },
      ha('n1', 'active', 1),
      ha('n2', 'standby', 2),
      ha('n1', 'standby', 3),
      ha('n2', 'active', 4),
      ha('n2', 'active', 5),
    ]);
    expect(phases.map((p) => [p.name, p.events.length, p.failover?.from, p.failover?.to])).toEqual([
      ['events 1-3', 3, undefined, undefined],
      ['failover r1 n1 → n2', 2, 'n1', 'n2'],
      ['events 6-6', 1, undefined, undefined],
    ]);
    expect(phases[1]?.failover?.reports).toBe('in-events');
  });

  it('reads a Neutron oracle trace through the replay and finds its failover and failback', async () => {
    const trace = JSON.parse(
      await readFile(
        new URL('../fixtures/neutron-examples/07_ha_router_failover.json', import.meta.url),
        'utf8',
      ),
    );
    const source = await loadScenarioSource(trace, '07');
    expect(source.kind).toBe('trace');
    const phases = source.scenarioFor('tunnel').phases;
    expect(phases.filter((p) => p.failover).map((p) => [p.failover?.from, p.failover?.to])).toEqual([
      ['net1host', 'net2host'],
      ['net2host', 'net1host'],
    ]);
    const events = phases.flatMap((p) => p.events);
    expect(
      events.filter((e) => e.type === 'agent.report').map((e) => e.type === 'agent.report' && e.host),
    ).toEqual(['net1host', 'net2host', 'compute1', 'compute2']);
    expect(events.some((e) => e.type === 'agent.resync' && e.reason === 'gap')).toBe(false);
  });

  it('rejects input that is none of the three formats, and names a bad event', async () => {
    await expect(loadScenarioSource({ foo: 1 }, 'x.json')).rejects.toThrow(ScenarioInputError);
    await expect(loadScenarioSource([{ type: 'port.delete', v: 1 }], 'x.json')).rejects.toThrow(
      /x.json: event 0: /,
    );
    await expect(loadScenarioSource({ phases: [] }, 'x.json')).rejects.toThrow(/not a valid scenario/);
  });
});
