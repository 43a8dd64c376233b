import { describe, expect, it } from 'vitest';
import { foldAsAgents } from './agent-fold.js';
import { compareFdb } from './compare.js';
import type { ExplainContext } from './deviations.js';
import { loadStoredExamples } from './examples.js';
import { foldNotifications } from './fold.js';
import type { Fdb } from './oracle.js';
import { simulateTrace } from './simulate.js';

/** The comparison of a stored example against a hand-edited copy of Neutron's own end state. */
function setup(name: string): { ctx: ExplainContext; oracle: Fdb } {
  const ex = loadStoredExamples().find((e) => e.name === name);
  if (!ex) throw new Error(`no example ${name}`);
  const { trace, sim, history } = simulateTrace(ex.trace);
  const hosts = [...sim.agents.keys()].sort();
  const fold = foldNotifications(
    ex.oracle.notifications,
    hosts,
    new Map([...sim.agents.values()].map((a) => [a.host, a.tunnelIp])),
  );
  return {
    ctx: { trace, sim, history, fold, notifications: ex.oracle.notifications },
    oracle: ex.oracle.fdb,
  };
}

function edit(fdb: Fdb, change: (f: Fdb) => void): Fdb {
  const copy = structuredClone(fdb);
  change(copy);
  return copy;
}

function drop(f: Fdb, host: string, net: string, vtep: string, mac?: string): void {
  const table = f[host]?.[net];
  if (!table) throw new Error(`no table ${host}/${net}`);
  if (mac === undefined) delete table[vtep];
  else table[vtep] = (table[vtep] ?? []).filter((e) => e[0] !== mac);
}

describe('compareFdb', () => {
  it('finds Neutron equal to itself', () => {
    const { ctx, oracle } = setup('07_ha_router_failover');
    expect(compareFdb(ctx, oracle, oracle).verdict).toBe('equal');
  });

  it('accepts a missing old VTEP after a tunnel-IP change, but not a missing new one', () => {
    const { ctx, oracle } = setup('06_agent_restart');
    const withoutOld = edit(oracle, (f) => {
      for (const h of ['host1', 'host2', 'host3']) drop(f, h, 'net1', '192.0.2.2');
    });
    const ok = compareFdb(ctx, oracle, withoutOld);
    expect(ok.verdict).toBe('deviations');
    expect(new Set(ok.diffs.map((d) => d.kind))).toEqual(new Set(['tunnel-ip-change']));
    const withoutNew = edit(withoutOld, (f) => drop(f, 'host1', 'net1', '192.0.2.22'));
    expect(compareFdb(ctx, oracle, withoutNew).verdict).toBe('bug');
  });

  it('accepts a missing entry of a DOWN port changed by chg_ip, but not of an ACTIVE one', () => {
    const { ctx, oracle } = setup('05_ip_change');
    const downPort = edit(oracle, (f) => drop(f, 'host1', 'net1', '192.0.2.2', 'fa:16:3e:00:00:03'));
    const ok = compareFdb(ctx, oracle, downPort);
    expect(ok.diffs.map((d) => d.kind)).toEqual(['chg-ip-inactive-port']);
    const activePort = edit(oracle, (f) => drop(f, 'host2', 'net1', '192.0.2.1', 'fa:16:3e:00:00:01'));
    expect(compareFdb(ctx, oracle, activePort).verdict).toBe('bug');
  });

  it('accepts missing entries of a host that does not l2pop the type only when a full sync sent them', () => {
    const { ctx, oracle } = setup('09_network_types');
    const ok = compareFdb(
      ctx,
      oracle,
      edit(oracle, (f) => drop(f, 'host4', 'vlan1', '192.0.2.1')),
    );
    expect(ok.diffs.map((d) => d.kind)).toEqual(['full-sync-unfiltered-types', 'full-sync-unfiltered-types']);
    const extra = edit(oracle, (f) => {
      const t = f.host4?.vlan1;
      if (t) t['192.0.2.1'] = [...(t['192.0.2.1'] ?? []), ['fa:16:3e:00:03:09', '10.3.0.99']];
    });
    expect(compareFdb(ctx, oracle, extra).verdict).toBe('bug');
  });

  it('calls an HA flooding entry Neutron has and we lack a bug', () => {
    const { ctx, oracle } = setup('07_ha_router_failover');
    const result = compareFdb(
      ctx,
      oracle,
      edit(oracle, (f) => drop(f, 'compute2', 'net1', '192.0.2.1')),
    );
    expect(result.verdict).toBe('bug');
    expect(result.diffs[0]?.reason).toMatch(/add_fdb_entries/);
  });

  it('calls a table for a host that is not present a bug', () => {
    const { ctx, oracle } = setup('01_two_hosts_first_port');
    const extra = edit(oracle, (f) => {
      f.host3 = { net1: { '192.0.2.1': [['00:00:00:00:00:00', '0.0.0.0']] } };
    });
    const result = compareFdb(ctx, oracle, extra);
    expect(result.unexpectedPairs).toEqual([{ host: 'host3', network: 'net1' }]);
    expect(result.verdict).toBe('bug');
  });
});

describe('foldAsAgents', () => {
  it('drops the table of a host whose last device in the network went down, unlike the oracle fold', () => {
    const ex = loadStoredExamples().find((e) => e.name === '07_ha_router_failover');
    if (!ex) throw new Error('no example 07');
    const { trace, sim, history } = simulateTrace(ex.trace);
    const { fdb, joined } = foldAsAgents({ trace, sim, history, notifications: ex.oracle.notifications });
    // step 18: net2host reports its qr- device down; Neutron still counts it present (HA router)
    expect(fdb.net2host?.net1).toBeUndefined();
    expect(ex.oracle.fdb.net2host?.net1).toBeDefined();
    expect(joined.get('compute2')?.get('net1')).toBe(14);
    expect(fdb.compute2?.net1).toEqual(ex.oracle.fdb.compute2?.net1);
  });
});
