import { describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../../../agent/create-agent.js';
import { createMemoryLogger } from '../../../agent/create-logger.js';
import type { AgentEvent } from '../../../src/contracts/events.js';
import type { PlannedCommand } from '../../../src/core/commands.js';
import type { Strategy } from '../../../src/core/types.js';
import { createFakeKernel, type FakeKernel } from '../../agent/fake-kernel.js';
import { agentConfig } from '../../agent/fixtures.js';
import { agentSpecs, haEventOf, SCENARIOS, scenarioFacts } from './failover-scenarios.js';
import { createStandInController } from './stand-in-controller.js';
import { HOSTS, type HostName, ROUTER_MAC } from './topology.js';

/**
 * The harness's controller with real reference agents on fake kernels: what the failover test
 * runs, minus the kernel and keepalived. Commands travel as JSON, as through the stdin pipes.
 */
async function harness(strategy: Strategy, scenarioId: string) {
  const scenario = SCENARIOS.find((s) => s.id === scenarioId);
  if (!scenario) throw new Error(scenarioId);
  const kernels = new Map<string, FakeKernel>();
  const agents = new Map<string, Agent>();
  const queue: [string, PlannedCommand][] = [];
  const controller = createStandInController({
    ...scenarioFacts(strategy),
    sink: { deliver: (h, c) => queue.push([h, c]) },
  });
  const events: AgentEvent[] = [];
  for (const spec of agentSpecs(scenario)) {
    const kernel = createFakeKernel();
    kernels.set(spec.host, kernel);
    const config = agentConfig({
      host: spec.host,
      tunnelIp: HOSTS[spec.host].underlayIp,
      learning: spec.learning,
      proxy: spec.arp === 'proxy',
      bridgePrefix: 'br-',
    });
    const send = async (e: AgentEvent) => {
      events.push(e);
    };
    agents.set(
      spec.host,
      createAgent({ config, executor: kernel, log: createMemoryLogger(), send, now: () => 1 }),
    );
  }
  const drain = async () => {
    for (let i = 0; i < 20 && (queue.length > 0 || events.length > 0); i++) {
      for (const e of events.splice(0)) await controller.onAgentEvent(e);
      for (const [host, command] of queue.splice(0)) await agents.get(host)?.handle(JSON.stringify(command));
    }
  };
  for (const agent of agents.values()) await controller.onAgentEvent(agent.report());
  await drain();
  const ha = async (router: 'rtr1' | 'rtr2', state: 'MASTER' | 'BACKUP' | 'STOP', t: number) => {
    await controller.onHaEvent(haEventOf({ t, router, state, seenAt: t }));
    await drain();
  };
  const routerDst = (host: HostName) =>
    kernels
      .get(host)
      ?.table('vx-100')
      .fdb.find((l) => l.startsWith(ROUTER_MAC));
  return { kernels, ha, routerDst };
}

describe('stand-in controller with reference agents', () => {
  it('master-binding: points the router MAC at the master and moves it on failover', async () => {
    const { ha, routerDst, kernels } = await harness('master-binding', 'master-binding');
    await ha('rtr1', 'MASTER', 1000);
    await ha('rtr2', 'BACKUP', 1001);
    expect(routerDst('compute1')).toBe(`${ROUTER_MAC} 198.51.100.21`);
    expect(kernels.get('compute1')?.table('vx-100').neigh).toContain(`192.0.2.1 ${ROUTER_MAC}`);
    await ha('rtr1', 'STOP', 2000);
    await ha('rtr2', 'MASTER', 2800);
    expect(routerDst('compute1')).toBe(`${ROUTER_MAC} 198.51.100.22`);
    expect(routerDst('compute2')).toBe(`${ROUTER_MAC} 198.51.100.22`);
    // The new master's host holds the VMs' entries (its proxy answers the router's ARP requests).
    expect(kernels.get('net2')?.table('vx-100').neigh).toEqual([
      '192.0.2.10 fa:16:3e:00:00:10',
      '192.0.2.20 fa:16:3e:00:00:20',
    ]);
  });

  it('tunnel: floods to both network nodes and writes no router entry', async () => {
    const { ha, routerDst, kernels } = await harness('tunnel', 'tunnel');
    await ha('rtr1', 'MASTER', 1000);
    expect(routerDst('compute1')).toBeUndefined();
    expect(kernels.get('compute1')?.table('vx-100').fdb).toEqual(
      expect.arrayContaining(['00:00:00:00:00:00 198.51.100.21', '00:00:00:00:00:00 198.51.100.22']),
    );
  });

  it('auto: only the non-learning compute gets the router entry', async () => {
    const { ha, routerDst } = await harness('auto', 'auto');
    await ha('rtr1', 'MASTER', 1000);
    expect(routerDst('compute1')).toBeUndefined();
    expect(routerDst('compute2')).toBe(`${ROUTER_MAC} 198.51.100.21`);
    await ha('rtr2', 'MASTER', 2000);
    expect(routerDst('compute2')).toBe(`${ROUTER_MAC} 198.51.100.22`);
  });

  it('orders HA reports by their own timestamp: a late older report does not win', async () => {
    const { ha, routerDst } = await harness('master-binding', 'master-binding');
    await ha('rtr2', 'MASTER', 3000);
    await ha('rtr1', 'MASTER', 1000);
    expect(routerDst('compute1')).toBe(`${ROUTER_MAC} 198.51.100.22`);
  });
});
