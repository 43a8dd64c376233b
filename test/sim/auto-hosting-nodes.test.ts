import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { OWNER } from '../../src/core/owners.js';
import type { AgentCapabilities } from '../../src/core/types.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';
import { createFactOracle } from '../../tools/sim/fact-oracle.js';
import { KERNEL_NOLEARNING, KERNEL_PROXY, KERNEL_PROXY_LEARNING, OVS } from './bed.js';

/**
 * `auto` through the use-cases (in-memory store, agents applying every command): an agent's view of
 * an HA router depends on the capabilities of the nodes hosting it, so an agent report of a network
 * node and a rescheduling of the router move the views of agents that did not change.
 */
const NETWORK = { id: 'n1', name: 'n1', networkType: 'vxlan' as const, segmentId: 100 };
const IP: Record<string, string> = {
  compute1: '198.51.100.11',
  compute2: '198.51.100.12',
  net1: '198.51.100.21',
  net2: '198.51.100.22',
};
const RIF = { mac: 'fa:16:3e:ff:00:01', ip: '10.1.0.1' };

function report(host: string, capabilities: AgentCapabilities, revision: number): InboundEvent {
  return {
    type: 'agent.report',
    v: 1,
    host,
    tunnelIp: IP[host] ?? null,
    agentType: capabilities.arp === 'responder' ? 'Open vSwitch agent' : 'Linux bridge agent',
    networkTypes: ['vxlan'],
    capabilities,
    bootId: `${host}-boot`,
    revision,
  };
}

function port(id: string, host: string, mac: string, ip: string, deviceOwner: string, deviceId: string) {
  return {
    type: 'port.upsert' as const,
    v: 1 as const,
    network: NETWORK,
    port: {
      id,
      networkId: 'n1',
      mac,
      ips: [ip],
      host,
      deviceOwner,
      deviceId,
      status: 'ACTIVE' as const,
      dvrHosts: [],
      revision: 1,
    },
  };
}

function bed() {
  const store = createMemoryStore();
  const agents = createTableAgents();
  const oracle = createFactOracle();
  const send = async (...events: InboundEvent[]) => {
    for (const e of events) {
      await dispatchEvent({ store, publisher: agents.publisher }, e);
      oracle.apply(e);
    }
    expect(agents.takeGaps()).toEqual([]);
    // every agent holds exactly what the full recompute of the final facts says
    const desired = oracle.desired().get('n1') ?? new Map();
    for (const host of Object.keys(IP))
      expect(agents.table(host, 'n1'), host).toEqual(desired.get(host) ?? {});
  };
  /** The router port's entries a host holds, per VTEP host. */
  const routerEntry = (host: string) =>
    Object.entries(IP)
      .filter(([, ip]) => (agents.table(host, 'n1')[ip] ?? []).some((e) => e[0] === RIF.mac))
      .map(([h]) => h);
  return { send, routerEntry };
}

/** An `auto` router on net1 (master, Open vSwitch) and net2; `net2: null` has net2's agent not report. */
async function started(net2: AgentCapabilities | null) {
  const b = bed();
  await b.send(
    {
      type: 'flags.set',
      v: 1,
      flags: { defaultStrategy: 'auto', rollout: null, networks: {}, routers: {} },
      revision: 1,
    },
    report('compute1', OVS, 1),
    report('compute2', KERNEL_PROXY, 1),
    report('net1', OVS, 1),
    ...(net2 ? [report('net2', net2, 1)] : []),
    { type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['net1', 'net2'], revision: 1 },
    { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'active', term: 0, seq: 1 },
    { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'standby', term: 0, seq: 2 },
    port('vm1', 'compute1', 'fa:16:3e:00:00:11', '10.1.0.11', 'compute:nova', 'i-1'),
    port('vm2', 'compute2', 'fa:16:3e:00:00:12', '10.1.0.12', 'compute:nova', 'i-2'),
    port('r1-n1', 'net1', RIF.mac, RIF.ip, OWNER.haInterface, 'r1'),
  );
  return b;
}

describe('auto: the view of an HA router follows the nodes that host it', () => {
  it('a learning agent gets the tunnel view only while no hosting node runs an ARP proxy', async () => {
    const { send, routerEntry } = await started(OVS);
    expect(routerEntry('compute1')).toEqual([]);
    expect(routerEntry('compute2')).toEqual(['net1']);
    // net2 turns on kernel ARP proxy: it would eat the GARPs, so compute1 is moved to the master
    await send(report('net2', KERNEL_PROXY_LEARNING, 2));
    expect(routerEntry('compute1')).toEqual(['net1']);
    // ...and back to a plain kernel VXLAN agent without learning: nothing eats GARPs any more
    await send(report('net2', KERNEL_NOLEARNING, 3));
    expect(routerEntry('compute1')).toEqual([]);
    // only the ARP proxy changes (net2's own view stays master-binding): compute1 moves again
    await send(report('net2', KERNEL_PROXY, 4));
    expect(routerEntry('compute1')).toEqual(['net1']);
    // the entry follows the master on failover onto the proxy node
    await send(
      { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'standby', term: 0, seq: 3 },
      { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'active', term: 0, seq: 4 },
    );
    expect(routerEntry('compute1')).toEqual(['net2']);
    expect(routerEntry('compute2')).toEqual(['net2']);
  });

  it('scheduling the router off and back onto a proxy node moves the other agents', async () => {
    const { send, routerEntry } = await started(KERNEL_PROXY);
    expect(routerEntry('compute1')).toEqual(['net1']);
    await send({ type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['net1'], revision: 2 });
    expect(routerEntry('compute1')).toEqual([]);
    expect(routerEntry('compute2')).toEqual(['net1']);
    await send({ type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['net1', 'net2'], revision: 3 });
    expect(routerEntry('compute1')).toEqual(['net1']);
  });

  it('a hosting node whose agent has not reported does not count, until it reports', async () => {
    const { send, routerEntry } = await started(null);
    expect(routerEntry('compute1')).toEqual([]);
    await send(report('net2', KERNEL_PROXY, 1));
    expect(routerEntry('compute1')).toEqual(['net1']);
  });
});
