import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../src/core/types.js';
import type { BlackHole, FailoverSummary, SummaryRow } from '../../tools/sim/ab-summary.js';
import { computeAbVerdict } from '../../tools/sim/ab-verdict.js';
import type { NoGateway } from '../../tools/sim/gateway-diagnosis.js';

const hole = (worstMs: number | null, o: Partial<BlackHole> = {}): BlackHole => ({
  worstMs,
  recovered: worstMs === null ? 0 : 3,
  never: 0,
  noPath: 0,
  vms: 3,
  ...o,
});

function failover(live: BlackHole, o: Partial<FailoverSummary> = {}): FailoverSummary {
  return {
    phase: 'r1 graceful failover',
    kind: 'router',
    target: 'r1',
    mode: 'graceful',
    from: 'net1',
    to: 'net2',
    takeoverMs: 815,
    convergenceMs: 100,
    live,
    controllerDown: hole(null, { never: 3, recovered: 0 }),
    fanOut: { mean: 1, max: 1 },
    noGateway: [],
    interfaces: 1,
    otherOwners: [],
    ...o,
  };
}

function row(strategy: Strategy, failovers: FailoverSummary[], o: Partial<SummaryRow> = {}): SummaryRow {
  return {
    strategy,
    events: 10,
    messages: 100,
    bytes: 30_000,
    dynamoRequests: 400,
    readUnits: 200,
    writeUnits: 200,
    invocations: 50,
    failedRecords: 0,
    failovers,
    phaseMs: {},
    converged: true,
    mismatches: [],
    ...o,
  };
}

const lost: NoGateway = {
  host: 'compute2',
  networkId: 'net-a',
  ip: '10.1.0.12',
  kind: 'never',
  behindProxy: false,
  reason: "an ARP-proxy node (net2) hosts r1: it drops the new master's GARPs",
};

describe('the A/B verdict', () => {
  it('picks a strategy that brings back every VM over a cheaper one that leaves some without a gateway', () => {
    const v = computeAbVerdict([
      row('tunnel', [failover(hole(830, { never: 4 }), { noGateway: [lost] })], { messages: 70 }),
      row('master-binding', [failover(hole(1210))]),
    ]);
    expect(v).toMatchObject({ measured: true, pick: 'master-binding' });
    expect(v.reason).toBe(
      'it brings back every VM that had a gateway, tunnel leaves 4 without one; ' +
        'it costs 100 control messages and 400 DynamoDB requests (tunnel: 70 and 400)',
    );
    expect(v.ranking.map((s) => s.strategy)).toEqual(['master-binding', 'tunnel']);
    expect(v.ranking[1]?.noGateway).toEqual([{ ...lost, phase: 'r1 graceful failover' }]);
  });

  it('between two that bring every VM back, picks the one back at VRRP time in more failovers, and says by how much', () => {
    const r2 = { phase: 'r2 graceful failover', target: 'r2' };
    const v = computeAbVerdict([
      row('master-binding', [failover(hole(1210)), failover(hole(1050), r2)], { messages: 98 }),
      row('auto', [failover(hole(1230)), failover(hole(830), r2)], { messages: 117 }),
    ]);
    expect(v.pick).toBe('auto');
    expect(v.reason).toContain(
      'every VM is back at VRRP time, without waiting for the controller, in 1 of 2 failovers (master-binding: 0)',
    );
    expect(v.reason).toContain('worst black-hole 1.23 s / 0.83 s against 1.21 s / 1.05 s');
    expect(v.reason).toContain('(master-binding: 98 and 400)');
  });

  it('calls black-holes within 10 % equally fast and then prefers the one that survives the controller being down', () => {
    const resilient = hole(null, { never: 2, recovered: 1 });
    const v = computeAbVerdict([
      row('master-binding', [failover(hole(1000))], { messages: 50 }),
      row('auto', [failover(hole(1080), { controllerDown: resilient })], { messages: 90 }),
    ]);
    expect(v.pick).toBe('auto');
    expect(v.reason).toMatch(
      /^as fast as master-binding, and more VMs recover with the controller down \(1 against 0\)/,
    );
  });

  it('is decided by speed beyond 10 %, and by cost when everything else is equal', () => {
    const faster = computeAbVerdict([
      row('tunnel', [failover(hole(2000))]),
      row('auto', [failover(hole(1500))]),
    ]);
    expect(faster.pick).toBe('auto');
    expect(faster.reason).toMatch(
      /^it is the fastest: worst black-hole 1\.50 s against 2\.00 s under tunnel/,
    );
    const cheaper = computeAbVerdict([
      row('tunnel', [failover(hole(1500))], { messages: 120 }),
      row('auto', [failover(hole(1500))], { messages: 80 }),
    ]);
    expect(cheaper.pick).toBe('auto');
    expect(cheaper.reason).toMatch(/^as fast and as safe as tunnel, and cheaper/);
  });

  it('never picks a strategy under which an agent did not converge', () => {
    const v = computeAbVerdict([
      row('auto', [failover(hole(830))], { converged: false }),
      row('master-binding', [failover(hole(1210))]),
    ]);
    expect(v.pick).toBe('master-binding');
    expect(v.reason).toMatch(/^every agent converged under it, not under auto/);
  });

  it('picks nothing when every strategy leaves a VM without a gateway, naming the one that leaves fewest', () => {
    const v = computeAbVerdict([
      row('tunnel', [failover(hole(830, { never: 4 }))]),
      row('master-binding', [failover(hole(1210, { never: 1 }))]),
    ]);
    expect(v).toMatchObject({ measured: true, pick: null });
    expect(v.reason).toBe(
      'no strategy brings back every VM that had a gateway; master-binding leaves the fewest (1)',
    );
  });

  it('has no answer when no failover measured a VM, and says the router had no HA interface and why', () => {
    const none = hole(null, { recovered: 0, vms: 0 });
    const v = computeAbVerdict([
      row('tunnel', [
        failover(none, { interfaces: 0, otherOwners: ['network:router_interface'], controllerDown: none }),
      ]),
    ]);
    expect(v).toMatchObject({ measured: false, pick: null });
    expect(v.reason).toBe(
      'no failover measured a VM: r1 has no port with device_owner network:ha_router_replicated_interface, ' +
        'so no HA router interface was recognised (its ports carry network:router_interface)',
    );
    expect(computeAbVerdict([row('tunnel', [])]).reason).toBe(
      'the scenario has no failover phase, so there is no black-hole to measure',
    );
    const noVm = computeAbVerdict([row('tunnel', [failover(none, { controllerDown: none })])]);
    expect(noVm.reason).toContain("r1's networks have no ACTIVE, bound VM port");
  });

  it('counts a VIP failover like a router failover and says which strategy cannot serve a VIP behind an ARP-proxy agent', () => {
    const vip = {
      phase: 'VIP failover',
      kind: 'vip',
      target: 'VIP 10.1.0.100',
      from: 'compute2',
      to: 'compute4',
    } as const;
    const unserved: NoGateway = {
      host: 'compute5',
      networkId: 'net-a',
      ip: '10.1.0.15',
      kind: 'no-path',
      behindProxy: true,
      reason: "its ARP-proxy agent holds no ARP entry for the VIP: it drops the VM's ARP request",
    };
    const v = computeAbVerdict([
      // the router failovers alike: only the VIP tells them apart
      row(
        'tunnel',
        [failover(hole(1210)), failover(hole(830, { noPath: 1 }), { ...vip, noGateway: [unserved] })],
        {
          messages: 70,
        },
      ),
      row('master-binding', [failover(hole(1210)), failover(hole(1120), vip)]),
    ]);
    expect(v.pick).toBe('master-binding');
    expect(v.ranking[1]).toMatchObject({
      strategy: 'tunnel',
      noPath: 1,
      vip: { failovers: 1, lost: 0, noPath: 1, behindProxy: 1, worst: ['0.83 s'] },
    });
    expect(v.reason).toBe(
      'fewer VMs have no gateway at all (0 against 1 under tunnel); ' +
        'it costs 100 control messages and 400 DynamoDB requests (tunnel: 70 and 400); ' +
        'VIPs: master-binding reaches every VIP client (worst black-hole 1.12 s); ' +
        'tunnel cannot serve a VIP behind an ARP-proxy agent (1 with no path before a failover; 1 of them behind one)',
    );
  });
});
