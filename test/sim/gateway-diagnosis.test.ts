import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/core/types.js';
import { type FailoverInput, simulateFailover } from '../../tools/sim/failover-sim.js';
import { computeAutoViews, diagnoseNoGateway } from '../../tools/sim/gateway-diagnosis.js';
import { binding, failover, KERNEL_NOLEARNING, KERNEL_PROXY, nodes, OVS, TUNNEL, VM } from './bed.js';

const spec = { router: 'r1', from: 'net1', to: 'net2', mode: 'graceful', reports: 'generate' } as const;

function diagnose(
  input: FailoverInput,
  s: typeof spec | { router: string; from: string; to: string } = spec,
) {
  return diagnoseNoGateway({
    subject: { kind: 'router', name: s.router, from: s.from, to: s.to },
    outcome: simulateFailover(input),
    interfaces: input.interfaces,
    capabilities: Object.fromEntries(input.nodes.map((n) => [n.host, n.capabilities])),
    initial: input.initial,
  });
}

describe('why a VM is left without a gateway', () => {
  it('a learning agent never finds a new master whose ARP-proxy node eats its GARPs', () => {
    expect(diagnose(failover(nodes(OVS, OVS, KERNEL_PROXY), TUNNEL))).toEqual([
      {
        host: VM.host,
        networkId: VM.networkId,
        ip: VM.ip,
        kind: 'never',
        behindProxy: false,
        reason: "an ARP-proxy node (net2) hosts r1: it drops the new master's GARPs",
      },
    ]);
  });

  it('an ARP-proxy agent with no ARP entry for the gateway has no path at all', () => {
    const [g] = diagnose(failover(nodes(KERNEL_PROXY, OVS, OVS), TUNNEL));
    expect(g).toMatchObject({
      kind: 'no-path',
      reason: "its ARP-proxy agent holds no ARP entry for the gateway: it drops the VM's ARP request",
    });
  });

  it('behind an ARP-proxy master the router ARP replies are dropped: no path before the failover', () => {
    const input = { ...failover(nodes(KERNEL_NOLEARNING, KERNEL_PROXY, OVS), TUNNEL) };
    expect(diagnose(input)).toEqual([
      expect.objectContaining({
        kind: 'no-path',
        reason: "an ARP-proxy node (net1) hosts r1: it drops the router's ARP replies",
      }),
    ]);
  });

  it('a VM that got its gateway back is not listed', () => {
    const mb = failover(nodes(KERNEL_PROXY, KERNEL_PROXY), binding('net1'));
    const changes = Object.entries(binding('net2')).map(([host, table]) => ({
      at: 900,
      host,
      networkId: 'n1',
      table,
    }));
    expect(diagnose({ ...mb, changes })).toEqual([]);
    // the same without the controller's change: the stale binding never recovers
    expect(diagnose(mb)).toEqual([expect.objectContaining({ kind: 'never' })]);
  });
});

describe('the auto view of each agent', () => {
  const agent = (host: string, capabilities: Agent['capabilities'], n: number): Agent => ({
    host,
    tunnelIp: `198.51.100.${n}`,
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities,
    bootId: 'b',
    revision: 1,
  });
  const network = { id: 'n1', name: 'n1', networkType: 'vxlan', segmentId: 1 };
  const agents = [
    agent('compute1', OVS, 11),
    agent('compute4', KERNEL_PROXY, 14),
    agent('net1', OVS, 21),
    agent('net3', OVS, 23),
  ];

  it('is the core rule: tunnel for a learning agent when no hosting node runs an ARP proxy, the hosts left out', () => {
    expect(computeAutoViews({ hosting: ['net1', 'net3'], agents, networks: [network] })).toEqual([
      { host: 'compute1', networkId: 'n1', view: 'tunnel' },
      { host: 'compute4', networkId: 'n1', view: 'master-binding' },
    ]);
    const proxyHost = [...agents, agent('net2', KERNEL_PROXY, 22)];
    expect(
      computeAutoViews({ hosting: ['net1', 'net2'], agents: proxyHost, networks: [network] }),
    ).toContainEqual({
      host: 'compute1',
      networkId: 'n1',
      view: 'master-binding',
    });
  });
});
