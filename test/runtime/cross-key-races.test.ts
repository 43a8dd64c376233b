import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { FactStore } from '../../src/app/ports.js';
import type { Deps } from '../../src/app/reconcile.js';
import { createRouterNetworkHints, type RouterNetworkHints } from '../../src/app/router-network-hints.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';
import { createFactOracle } from '../support/fact-oracle.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Two events on different keys that touch the same network, committed at the same time on the
 * real DynamoDB (docs/crash-safety.md, "cross-key races"): the loser must conflict and re-plan.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('races');
});
afterAll(() => stack?.destroy());

const ev = (o: Record<string, unknown>) => parseInboundEvent(JSON.stringify({ v: 1, ...o }));
const net = (i: number) => ({ id: `n${i}`, networkType: 'vxlan', segmentId: 100 + i });
const agent = (host: string, ip: string, rev: number, kernel = false) =>
  ev({
    type: 'agent.report',
    host,
    tunnelIp: ip,
    agentType: 'x',
    networkTypes: ['vxlan'],
    capabilities: kernel ? { learning: false, arp: 'proxy' } : { learning: true, arp: 'responder' },
    bootId: 'b1',
    revision: rev,
  });
const port = (
  id: string,
  n: number,
  host: string,
  mac: string,
  rev = 1,
  owner = 'compute:nova',
  device = `vm-${id}`,
) =>
  ev({
    type: 'port.upsert',
    network: net(n),
    port: {
      id,
      networkId: `n${n}`,
      mac,
      ips: [`10.${n % 250}.${Number.parseInt(mac.slice(-5, -3), 16)}.${Number.parseInt(mac.slice(-2), 16)}`],
      deviceOwner: owner,
      deviceId: device,
      host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: rev,
    },
  });

type Wrap = (store: FactStore, hold: () => Promise<void>) => FactStore;

/** Holds a racer at the first call of a store method (after it returns, or before a commit). */
const holdAfter =
  (method: 'listHostNetworks' | 'listRouterPorts' | 'listHaNetworks' | 'readRouter', nth = 1): Wrap =>
  (store, hold) => {
    let calls = 0;
    const wrapped = async (...args: unknown[]) => {
      const r = await (store[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      if (++calls === nth) await hold();
      return r;
    };
    return { ...store, [method]: wrapped } as FactStore;
  };
const holdBeforeCommit =
  (nth = 1): Wrap =>
  (store, hold) => {
    let calls = 0;
    return {
      ...store,
      commit: async (c) => {
        if (++calls === nth) await hold();
        return store.commit(c);
      },
    };
  };

/**
 * Runs `setup`, then starts `held`, which stops at the point `wrap` names, runs `other` to the end,
 * releases `held`, resolves resyncs, and compares every agent with the desired state.
 */
async function race(
  label: string,
  setup: InboundEvent[],
  held: InboundEvent[],
  wrap: Wrap,
  other: InboundEvent[],
  hints?: RouterNetworkHints,
) {
  const agents = createTableAgents();
  let conflicts = 0;
  const deps = (): Deps => {
    const s = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
    const store: FactStore = {
      ...s,
      commit: async (c) => {
        const r = await s.commit(c);
        if (r === 'conflict') conflicts++;
        return r;
      },
    };
    return {
      store,
      publisher: agents.publisher,
      maxAttempts: 20,
      ...(hints ? { routerNetworks: hints } : {}),
    };
  };
  for (const e of setup) await dispatchEvent(deps(), e);
  let open = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let reached = () => {};
  const arrived = new Promise<void>((r) => {
    reached = r;
  });
  let holding = false;
  const hold = async () => {
    if (holding) return;
    holding = true;
    reached();
    await gate;
  };
  const d = deps();
  const heldRun = (async () => {
    for (const e of held) await dispatchEvent({ ...d, store: wrap(d.store, hold) }, e);
  })();
  await Promise.race([arrived, heldRun]);
  expect(holding).toBe(true);
  for (const e of other) await dispatchEvent(deps(), e);
  open();
  await heldRun;
  for (let i = 0; i < 5; i++)
    for (const g of agents.takeGaps())
      await dispatchEvent(deps(), ev({ type: 'agent.resync', host: g.host, networkId: g.networkId }));
  const oracle = createFactOracle();
  for (const e of [...setup, ...held, ...other]) oracle.apply(e);
  const diffs: string[] = [];
  for (const [networkId, views] of oracle.desired())
    for (const host of oracle.hosts())
      if (JSON.stringify(views.get(host) ?? {}) !== JSON.stringify(agents.table(host, networkId)))
        diffs.push(
          `${label} ${host}/${networkId} want ${JSON.stringify(views.get(host) ?? {})} got ${JSON.stringify(agents.table(host, networkId))}`,
        );
  return { diffs, conflicts };
}

const mb = (rev: number) =>
  ev({
    type: 'flags.set',
    flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
    revision: rev,
  });

describe('cross-key races on DynamoDB: one event is held at a point while another commits', () => {
  const joinSetup = (p: string, i: number) => [
    agent(`${p}h1`, `192.0.${i}.1`, 1),
    agent(`${p}h2`, `192.0.${i}.2`, 1),
    port(`${p}x`, 1000 + i, `${p}h1`, `fa:16:3e:01:${i.toString(16).padStart(2, '0')}:01`),
  ];
  const join = (p: string, i: number) =>
    port(`${p}y`, 1000 + i, `${p}h2`, `fa:16:3e:01:${i.toString(16).padStart(2, '0')}:02`);
  const report = (p: string, i: number) => agent(`${p}h2`, `198.51.${i}.2`, 2);

  it('a port event that makes a host join is held before its commit while the agent reports a new VTEP: it conflicts and re-plans', async () => {
    const r = await race('a', joinSetup('a', 1), [join('a', 1)], holdBeforeCommit(), [report('a', 1)]);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it('an agent report is held after listing its networks while the host joins another: its repair pass fixes that network', async () => {
    const r = await race('b', joinSetup('b', 2), [report('b', 2)], holdAfter('listHostNetworks'), [
      join('b', 2),
    ]);
    expect(r.diffs).toEqual([]);
  });

  it('a new HA port is held before its commit while the flags flip: it conflicts and takes the new strategy', async () => {
    const setup = [
      agent('ch1', '203.0.113.1', 1),
      agent('ch2', '203.0.113.2', 1, true),
      ev({ type: 'ha.schedule', routerId: 'cr', hosts: ['ch1', 'ch2'], revision: 1 }),
      ev({ type: 'ha.state', routerId: 'cr', host: 'ch1', state: 'active', seq: 1 }),
      port('cvm', 2001, 'ch2', 'fa:16:3e:10:00:01'),
    ];
    const ha = port(
      'cha',
      2001,
      'ch1',
      'fa:16:3e:10:00:02',
      1,
      'network:ha_router_replicated_interface',
      'cr',
    );
    const r = await race('c', setup, [ha], holdBeforeCommit(), [mb(1)]);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it('an HA failover is held before it moves a network while an interface joins the router there: the network guard makes it re-plan', async () => {
    const setup = [
      agent('dh1', '198.18.0.1', 1, true),
      agent('dh2', '198.18.0.2', 1, true),
      agent('dh3', '198.18.0.3', 1, true),
      mb(100),
      ev({ type: 'ha.schedule', routerId: 'dr', hosts: ['dh1', 'dh2'], revision: 1 }),
      ev({ type: 'ha.state', routerId: 'dr', host: 'dh1', state: 'active', seq: 1 }),
      port('dvm', 3001, 'dh3', 'fa:16:3e:20:00:01'),
      port('dif1', 3001, 'dh1', 'fa:16:3e:20:00:04', 1, 'network:ha_router_replicated_interface', 'dr'),
      // a second network of the router: the fact is recorded alone, then each network moves
      port('dvm3', 3002, 'dh3', 'fa:16:3e:20:00:05'),
      port('dif3', 3002, 'dh1', 'fa:16:3e:20:00:06', 1, 'network:ha_router_replicated_interface', 'dr'),
    ];
    const failover = [ev({ type: 'ha.state', routerId: 'dr', host: 'dh2', state: 'active', seq: 2 })];
    const iface = port(
      'dif2',
      3001,
      'dh1',
      'fa:16:3e:20:00:02',
      1,
      'network:ha_router_replicated_interface',
      'dr',
    );
    // Commit 1 records the router fact; commit 2 would move network 3001 to the new master. The
    // interface's event meanwhile finds the network behind the router and moves it itself.
    const r = await race('d', setup, failover, holdBeforeCommit(2), [iface]);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it('an HA failover of a router with one network is held before its one commit while an interface joins the router there: it conflicts and re-plans', async () => {
    const setup = [
      agent('kh1', '198.18.4.1', 1, true),
      agent('kh2', '198.18.4.2', 1, true),
      agent('kh3', '198.18.4.3', 1, true),
      mb(200),
      ev({ type: 'ha.schedule', routerId: 'kr', hosts: ['kh1', 'kh2'], revision: 1 }),
      ev({ type: 'ha.state', routerId: 'kr', host: 'kh1', state: 'active', seq: 1 }),
      port('kvm', 3005, 'kh3', 'fa:16:3e:20:01:01'),
      port('kif1', 3005, 'kh1', 'fa:16:3e:20:01:04', 1, 'network:ha_router_replicated_interface', 'kr'),
    ];
    const failover = [ev({ type: 'ha.state', routerId: 'kr', host: 'kh2', state: 'active', seq: 2 })];
    const iface = port(
      'kif2',
      3005,
      'kh1',
      'fa:16:3e:20:01:02',
      1,
      'network:ha_router_replicated_interface',
      'kr',
    );
    // One transaction records the fact and moves network 3005; the interface commits first.
    const r = await race('k', setup, failover, holdBeforeCommit(1), [iface]);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it("an HA failover whose network state was read beside the router's Query (a warm hint) is held after the Query while a VM port commits there: it conflicts and re-plans", async () => {
    const hints = createRouterNetworkHints();
    const setup = [
      agent('wh1', '198.18.6.1', 1, true),
      agent('wh2', '198.18.6.2', 1, true),
      agent('wh3', '198.18.6.3', 1, true),
      mb(300),
      ev({ type: 'ha.schedule', routerId: 'wr', hosts: ['wh1', 'wh2'], revision: 1 }),
      port('wvm', 3007, 'wh3', 'fa:16:3e:20:02:01'),
      port('wif1', 3007, 'wh1', 'fa:16:3e:20:02:04', 1, 'network:ha_router_replicated_interface', 'wr'),
      // moves network 3007, so the hint names it
      ev({ type: 'ha.state', routerId: 'wr', host: 'wh1', state: 'active', seq: 1 }),
    ];
    const failover = [ev({ type: 'ha.state', routerId: 'wr', host: 'wh2', state: 'active', seq: 2 })];
    // The held failover's reads in order: the hinted network's state starts beside the Query, so it
    // is older than the port event that commits while the failover is held after the Query.
    const reads: string[] = [];
    const wrap: Wrap = (store, hold) => {
      const held = holdAfter('readRouter')(store, hold);
      return {
        ...held,
        readMany: (request) => {
          reads.push(`state ${(request.networks ?? []).join(',')}`);
          return held.readMany(request);
        },
        readRouter: (id) => {
          reads.push(`router ${id}`);
          return held.readRouter(id);
        },
      };
    };
    const r = await race('w', setup, failover, wrap, [port('wvm2', 3007, 'wh3', 'fa:16:3e:20:02:02')], hints);
    expect(reads.slice(0, 2)).toEqual(['router wr', 'state n3007']);
    expect(hints.get('wr')).toBe('n3007');
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it('an HA failover whose hint always names another network moves the right one', async () => {
    // A lying hint: every read of it names network 3009, where the router has no port.
    const seen: (string | undefined)[] = [];
    const hints: RouterNetworkHints = { get: () => 'n3009', set: (_, n) => seen.push(n) };
    const setup = [
      agent('vh1', '198.18.7.1', 1, true),
      agent('vh2', '198.18.7.2', 1, true),
      agent('vh3', '198.18.7.3', 1, true),
      mb(400),
      ev({ type: 'ha.schedule', routerId: 'vr', hosts: ['vh1', 'vh2'], revision: 1 }),
      port('vvm', 3008, 'vh3', 'fa:16:3e:20:03:01'),
      port('vvm9', 3009, 'vh3', 'fa:16:3e:20:03:09'),
      port('vif1', 3008, 'vh1', 'fa:16:3e:20:03:04', 1, 'network:ha_router_replicated_interface', 'vr'),
      ev({ type: 'ha.state', routerId: 'vr', host: 'vh1', state: 'active', seq: 1 }),
    ];
    const failover = [ev({ type: 'ha.state', routerId: 'vr', host: 'vh2', state: 'active', seq: 2 })];
    const r = await race('v', setup, failover, holdAfter('readRouter'), [], hints);
    expect(r.diffs).toEqual([]);
    expect(seen.at(-1)).toBe('n3008');
  });

  it('the first interface of a router is held before its commit while the router is created: it conflicts on the router and re-plans with it', async () => {
    const setup = [
      agent('eh1', '198.18.1.1', 1),
      agent('eh2', '198.18.1.2', 1),
      agent('eh3', '198.18.1.3', 1),
      ev({
        type: 'flags.set',
        flags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: {} },
        revision: 200,
      }),
      port('evm', 4001, 'eh3', 'fa:16:3e:30:00:01'),
    ];
    const schedule = [ev({ type: 'ha.schedule', routerId: 'er', hosts: ['eh1', 'eh2'], revision: 1 })];
    const iface = port(
      'eif',
      4001,
      'eh1',
      'fa:16:3e:30:00:02',
      1,
      'network:ha_router_replicated_interface',
      'er',
    );
    const r = await race('e', setup, [iface], holdBeforeCommit(), schedule);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it('an HA event is held after listing the router ports while the router gets its first interface: the HA event conflicts on the port counter, the interface is moved', async () => {
    const setup = [
      agent('fh1', '198.18.2.1', 1),
      agent('fh2', '198.18.2.2', 1),
      agent('fh3', '198.18.2.3', 1),
      port('fvm', 4002, 'fh3', 'fa:16:3e:31:00:01'),
    ];
    const schedule = [ev({ type: 'ha.schedule', routerId: 'fr', hosts: ['fh1', 'fh2'], revision: 1 })];
    const iface = port(
      'fif',
      4002,
      'fh1',
      'fa:16:3e:31:00:02',
      1,
      'network:ha_router_replicated_interface',
      'fr',
    );
    const r = await race('f', setup, schedule, holdAfter('readRouter'), [iface]);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });

  it('a master-binding failover of a router with one network is held after listing its ports while it gets an interface in a second network: both networks end on the new master', async () => {
    const setup = [
      mb(300),
      agent('gh1', '198.18.3.1', 1, true),
      agent('gh2', '198.18.3.2', 1, true),
      agent('gh3', '198.18.3.3', 1, true),
      agent('gh4', '198.18.3.4', 1, true),
      port('gvm', 4003, 'gh3', 'fa:16:3e:32:00:01'),
      port('gvm2', 4004, 'gh4', 'fa:16:3e:32:00:03'),
      ev({ type: 'ha.schedule', routerId: 'gr', hosts: ['gh1', 'gh2'], revision: 1 }),
      ev({ type: 'ha.state', routerId: 'gr', host: 'gh1', state: 'active', seq: 1 }),
      port('gif', 4003, 'gh1', 'fa:16:3e:32:00:02', 1, 'network:ha_router_replicated_interface', 'gr'),
    ];
    const failover = [ev({ type: 'ha.state', routerId: 'gr', host: 'gh2', state: 'active', seq: 2 })];
    const second = port(
      'gif2',
      4004,
      'gh1',
      'fa:16:3e:32:00:04',
      1,
      'network:ha_router_replicated_interface',
      'gr',
    );
    const r = await race('g', setup, failover, holdAfter('readRouter'), [second]);
    expect(r.diffs).toEqual([]);
    expect(r.conflicts).toBeGreaterThan(0);
  });
});
