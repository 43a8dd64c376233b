import { describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../src/contracts/events.js';
import { STRATEGIES } from '../../src/core/types.js';
import { buildDefaultScenario } from '../../tools/sim/default-scenario.js';
import { computePhaseWarnings, computeScenarioWarnings } from '../../tools/sim/scenario-warnings.js';

const NET = { id: 'net-a', networkType: 'vxlan', segmentId: 100 } as const;

function report(host: string, tunnelIp: string, networkTypes = ['vxlan'], revision = 1): InboundEvent {
  return {
    type: 'agent.report',
    v: 1,
    host,
    tunnelIp,
    agentType: 'sim',
    networkTypes: networkTypes as ('vxlan' | 'gre')[],
    capabilities: { learning: true, arp: 'responder' },
    bootId: `boot-${host}`,
    revision,
  };
}

function port(
  id: string,
  host: string,
  over: Partial<Extract<InboundEvent, { type: 'port.upsert' }>['port']> = {},
): InboundEvent {
  return {
    type: 'port.upsert',
    v: 1,
    network: NET,
    port: {
      id,
      networkId: NET.id,
      mac: `fa:16:3e:00:00:${id.slice(-2).padStart(2, '0')}`,
      ips: ['10.0.0.5'],
      deviceOwner: 'compute:nova',
      deviceId: `vm-${id}`,
      host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
      ...over,
    },
  };
}

const schedule = (routerId: string, hosts: string[], revision = 1): InboundEvent => ({
  type: 'ha.schedule',
  v: 1,
  routerId,
  hosts,
  revision,
});
const haState = (routerId: string, host: string, seq: number, term = 0): InboundEvent => ({
  type: 'ha.state',
  v: 1,
  routerId,
  host,
  state: 'active',
  term,
  seq,
});

const agents = [report('c1', '192.0.2.1'), report('n1', '192.0.2.11'), report('n2', '192.0.2.12')];
const haPort = (owner: string) =>
  port('p09', 'n1', { deviceOwner: owner, deviceId: 'r1', mac: 'fa:16:3e:00:00:99', ips: ['10.0.0.1'] });
const warn = (events: InboundEvent[], complete = true) => computeScenarioWarnings({ events, complete });

describe('scenario warnings: what the controller will not act on', () => {
  it('a well-formed HA scenario and the default scenario draw none', () => {
    const events = [
      ...agents,
      schedule('r1', ['n1', 'n2']),
      port('p01', 'c1'),
      haPort('network:ha_router_replicated_interface'),
      haState('r1', 'n1', 1),
      haState('r1', 'n2', 2),
    ];
    expect(warn(events)).toEqual([]);
    for (const s of STRATEGIES) expect(computePhaseWarnings(buildDefaultScenario(s).phases)).toEqual([]);
  });

  it('an unknown device owner: the event is rejected, and the HA owner is named', () => {
    const w = warn([...agents, schedule('r1', ['n1', 'n2']), haPort('network:router_ha_replicated')]);
    expect(w[0]).toMatch(
      /^event 5 \(port.upsert, port p09\): device owner "network:router_ha_replicated" is unknown, the controller rejects the event \(unknown_device_owner\); an HA router's interface port has device owner "network:ha_router_replicated_interface"/,
    );
    expect(w[1]).toMatch(
      /^router r1 \(first named by event 4 .*\): no port of the input is its HA interface/,
    );
  });

  it('a known owner that is not the HA interface: the router gets no strategy and its failovers measure nothing', () => {
    const w = warn([...agents, schedule('r1', ['n1', 'n2']), haPort('network:router_ha_interface')]);
    expect(w).toEqual([
      expect.stringMatching(
        /^router r1 .*no strategy applies to it and its failovers measure nothing \(n\/a\).*ports with this device id: port p09 \(network:router_ha_interface\)$/,
      ),
    ]);
  });

  it('an HA port whose router has no hosts, and a state report from a host the router is not on', () => {
    const w = warn([
      ...agents,
      haPort('network:ha_router_replicated_interface'),
      haState('r1', 'n1', 1),
      schedule('r2', ['n2']),
      schedule('r2', [], 2),
    ]);
    expect(w).toEqual([
      expect.stringMatching(/^event 5 \(ha.state, router r1 on n1\): n1 is not among the router's hosts/),
      expect.stringMatching(/^router r1: no ha.schedule gives it hosts/),
      expect.stringMatching(/^router r2 .*no port of the input is its HA interface/),
    ]);
  });

  it('revisions and (term, seq) that do not grow are named as dropped', () => {
    const w = warn([
      ...agents,
      port('p01', 'c1', { revision: 5 }),
      port('p01', 'c1', { revision: 5, ips: ['10.0.0.6'] }),
      report('c1', '192.0.2.1', ['vxlan'], 1),
      {
        type: 'flags.set',
        v: 1,
        flags: { defaultStrategy: 'auto', rollout: null, networks: {}, routers: {} },
        revision: 0,
      },
    ]);
    expect(w).toEqual([
      'event 5 (port.upsert, port p01): revision 5 does not grow (the port is at 5), the controller drops it as stale',
      'event 6 (agent.report, host c1): revision 1 does not grow (the agent is at 1), the controller drops it as stale',
      expect.stringMatching(
        /^event 7 \(flags.set, revision 0\): revision 0 does not grow .*needs revision 1/,
      ),
    ]);
    const ha = warn([
      ...agents,
      schedule('r1', ['n1']),
      haPort('network:ha_router_replicated_interface'),
      haState('r1', 'n1', 7, 1),
      haState('r1', 'n1', 9, 0),
    ]);
    expect(ha).toEqual([expect.stringMatching(/^event 7 .*\(term 0, seq 9\) does not grow .*\(1, 7\)/)]);
  });

  it('rejections the use-cases make: another network, a duplicate MAC, a delete on an unknown network', () => {
    const w = warn([
      ...agents,
      port('p01', 'c1', { networkId: 'net-b' }),
      port('p02', 'c1', { mac: 'fa:16:3e:00:00:01' }),
      port('p03', 'c1', { mac: 'fa:16:3e:00:00:01' }),
      { type: 'port.delete', v: 1, portId: 'p07', networkId: 'net-z', revision: 2 },
    ]);
    expect(w).toEqual([
      expect.stringMatching(/^event 4 .*names network net-b but the event carries network net-a/),
      expect.stringMatching(/^event 6 .*MAC fa:16:3e:00:00:01 is already used by port p02.*duplicate_mac/),
      expect.stringMatching(/^event 7 .*network net-z is unknown.*unknown_network/),
    ]);
  });

  it('a port on a host with no agent, and an agent that does not l2pop the network type', () => {
    const events = [report('c1', '192.0.2.1', ['gre']), port('p01', 'c1'), port('p02', 'c9')];
    expect(warn(events)).toEqual([
      expect.stringMatching(/^event 3 \(port.upsert, port p02\): host c9 has no agent.report anywhere/),
      expect.stringMatching(/^host c1: its agent does not l2pop vxlan \(network types: gre\)/),
    ]);
    // `l2pop send` adds to a running stack, which may know c9: only what the input itself decides
    expect(warn(events, false)).toEqual([expect.stringMatching(/^host c1: its agent does not l2pop vxlan/)]);
  });
});

describe('vip.claim warnings', () => {
  const claim = (portId: string, host: string, mac: string): InboundEvent => ({
    type: 'vip.claim',
    v: 1,
    host,
    networkId: NET.id,
    portId,
    ip: '10.0.0.100',
    mac,
    kind: 'garp',
    at: 1,
    seq: 1,
  });
  const pair = { allowedAddressPairs: [{ ipAddress: '10.0.0.100', macAddress: '00:00:5e:00:01:01' }] };

  it('names every claim the controller refuses, and none it accepts', () => {
    const events = [
      report('h1', '192.0.2.1'),
      port('p01', 'h1', pair),
      port('p02', 'h1', { ips: ['10.0.0.6'] }),
      claim('p01', 'h1', '00:00:5e:00:01:01'),
      claim('p01', 'h1', 'fa:16:3e:00:00:01'),
      claim('p01', 'h2', '00:00:5e:00:01:01'),
      claim('p02', 'h1', 'fa:16:3e:00:00:02'),
      claim('p01', 'h1', 'fa:16:3e:00:00:99'),
      claim('p09', 'h1', '00:00:5e:00:01:01'),
    ];
    const w = computeScenarioWarnings({ events, complete: true }).filter((x) => x.includes('vip.claim'));
    expect(w).toEqual([
      expect.stringMatching(/^event 6 .*bound to h1/),
      expect.stringMatching(/^event 7 .*no allowed-address pair of port p02 covers 10.0.0.100/),
      expect.stringMatching(/^event 8 .*neither the pair's MAC nor the port's/),
      expect.stringMatching(/^event 9 .*unknown or deleted/),
    ]);
  });
});
