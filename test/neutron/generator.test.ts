import { describe, expect, it } from 'vitest';
import { computeCoverage, HA_SITUATIONS, mergeCoverage, ORACLE_OPS } from './coverage.js';
import { generateTrace } from './generator.js';
import { simulateTrace } from './simulate.js';

describe('generateTrace', () => {
  it('gives the same trace for the same seed and another trace for another seed', () => {
    expect(generateTrace(42)).toEqual(generateTrace(42));
    expect(generateTrace(42)).not.toEqual(generateTrace(43));
  });

  it('builds 2-5 compute hosts, two network nodes with L3 agents and 1-3 networks', () => {
    for (let seed = 0; seed < 100; seed++) {
      const t = generateTrace(seed);
      const l3 = t.agents.filter((a) => a.l3_agent).map((a) => a.host);
      expect(l3).toEqual(['netnode1', 'netnode2']);
      expect(t.agents.length - l3.length).toBeGreaterThanOrEqual(2);
      expect(t.agents.length - l3.length).toBeLessThanOrEqual(5);
      expect(t.networks.length).toBeGreaterThanOrEqual(1);
      expect(t.networks.length).toBeLessThanOrEqual(3);
      for (const n of t.networks.filter((x) => x.network_type === 'vlan'))
        expect(n.physical_network).toBe('physnet1');
    }
  });

  it('writes only steps the Neutron simulator accepts, so the oracle runs every trace', () => {
    for (let seed = 0; seed < 300; seed++)
      expect(() => simulateTrace(generateTrace(seed, { events: 40 }))).not.toThrow();
  });

  it('ends settled: every HA interface of a router with a master is ACTIVE and every plugged VM port is up', () => {
    for (let seed = 0; seed < 200; seed++) {
      const { sim } = simulateTrace(generateTrace(seed, { events: 40 }));
      for (const p of sim.livePorts()) {
        if (sim.isHaPort(p) && p.host !== '') expect(p.status, `seed ${seed} ${p.name}`).toBe('ACTIVE');
        const plugged = sim.plugged.get(p.host)?.includes(p.name) ?? false;
        if (!sim.isHaPort(p) && plugged && p.adminUp)
          expect(p.status, `seed ${seed} ${p.name}`).toBe('ACTIVE');
      }
    }
  });

  it('reaches every oracle op and every HA situation the issue names over 200 seeds', () => {
    const merged = mergeCoverage(
      Array.from({ length: 200 }, (_, seed) => computeCoverage(generateTrace(seed, { events: 40 }))),
    );
    for (const op of ORACLE_OPS) expect(merged.ops[op]?.[1], op).toBeGreaterThan(0);
    for (const s of HA_SITUATIONS.slice(0, 5)) expect(merged.situations[s]?.[1], s).toBeGreaterThan(0);
  });
});
