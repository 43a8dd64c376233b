import { describe, expect, it } from 'vitest';
import type { AgentOutboundEvent } from '../../agent/agent-transport.js';
import { type AgentConfig, createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { createFakeKernel } from './fake-kernel.js';
import { agentConfig, delta, FLOOD, leave, NET, NODE1, NODE2, ROUTER, snapshot } from './fixtures.js';

function setup(config: Partial<AgentConfig> = {}) {
  const kernel = createFakeKernel();
  const sent: AgentOutboundEvent[] = [];
  let clock = 1_000_000;
  const agent = createAgent({
    config: agentConfig(config),
    executor: kernel,
    log: createMemoryLogger(),
    send: async (e) => {
      sent.push(e);
    },
    now: () => clock,
  });
  return { agent, kernel, sent, tick: (ms: number) => (clock += ms) };
}

const START = { [NODE1]: [FLOOD, ROUTER], [NODE2]: [FLOOD] };

describe('snapshot', () => {
  it('creates the segment device and holds exactly the snapshot', async () => {
    const { agent, kernel } = setup();
    expect(await agent.handle(snapshot(3, START))).toMatchObject({ kind: 'applied', version: 3 });
    expect(kernel.table('vx-100')).toEqual({
      fdb: [`00:00:00:00:00:00 ${NODE1}`, `00:00:00:00:00:00 ${NODE2}`, `fa:16:3e:00:00:01 ${NODE1}`],
      neigh: ['192.0.2.1 fa:16:3e:00:00:01'],
    });
    expect(kernel.devices.get('vx-100')).toMatchObject({ vni: 100, proxy: true, learning: false, up: true });
    expect(agent.held(NET)).toEqual({ version: 3, vni: 100, left: false, dirty: false });
  });

  it('removes extras the kernel holds and repoints moved MACs', async () => {
    const { agent, kernel } = setup();
    await agent.handle(
      snapshot(1, { ...START, '198.51.100.99': [FLOOD, ['fa:16:3e:00:00:99', '192.0.2.99']] }),
    );
    await agent.handle(snapshot(2, { [NODE2]: [FLOOD, ROUTER] }));
    expect(kernel.table('vx-100')).toEqual({
      fdb: [`00:00:00:00:00:00 ${NODE2}`, `fa:16:3e:00:00:01 ${NODE2}`],
      neigh: ['192.0.2.1 fa:16:3e:00:00:01'],
    });
  });

  it('writes no ARP entries without proxy, and removes stray ones', async () => {
    const { agent, kernel } = setup({ proxy: false, learning: true });
    await agent.handle(snapshot(1, START));
    (kernel.devices.get('vx-100') as { neigh: Map<string, string> }).neigh.set(
      '192.0.2.50',
      'fa:16:3e:00:00:50',
    );
    await agent.handle(snapshot(2, START));
    expect(kernel.table('vx-100').neigh).toEqual([]);
  });

  it('waits for every part of a version, then applies their union', async () => {
    const { agent, kernel } = setup();
    expect(await agent.handle(snapshot(5, { [NODE1]: [FLOOD] }, { index: 1, count: 2 }))).toMatchObject({
      kind: 'buffered',
    });
    expect(kernel.devices.size).toBe(0);
    expect(await agent.handle(snapshot(5, { [NODE2]: [FLOOD] }, { index: 0, count: 2 }))).toMatchObject({
      kind: 'applied',
    });
    expect(kernel.table('vx-100').fdb).toEqual([`00:00:00:00:00:00 ${NODE1}`, `00:00:00:00:00:00 ${NODE2}`]);
  });

  it('drops an unfinished older version when a newer one starts', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(5, { [NODE1]: [FLOOD] }, { index: 0, count: 2 }));
    await agent.handle(snapshot(6, { [NODE2]: [FLOOD] }, { index: 0, count: 1 }));
    expect(await agent.handle(snapshot(5, { [NODE1]: [FLOOD] }, { index: 1, count: 2 }))).toMatchObject({
      kind: 'stale',
    });
    expect(kernel.table('vx-100').fdb).toEqual([`00:00:00:00:00:00 ${NODE2}`]);
  });
});

describe('delta', () => {
  it('moves the router binding on failover: unicast and ARP entries point at the new master', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(1, { [NODE1]: [FLOOD, ROUTER] }));
    const outcome = await agent.handle(
      delta(2, 1, { remove: { [NODE1]: [FLOOD, ROUTER] }, add: { [NODE2]: [FLOOD, ROUTER] } }),
    );
    expect(outcome).toMatchObject({ kind: 'applied', version: 2 });
    expect(kernel.table('vx-100')).toEqual({
      fdb: [`00:00:00:00:00:00 ${NODE2}`, `fa:16:3e:00:00:01 ${NODE2}`],
      neigh: ['192.0.2.1 fa:16:3e:00:00:01'],
    });
  });

  it('changes only the ARP entry on chg_ip', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(1, { [NODE1]: [FLOOD, ROUTER] }));
    await agent.handle(
      delta(2, 1, { chg: { [NODE1]: { before: [ROUTER], after: [['fa:16:3e:00:00:01', '192.0.2.2']] } } }),
    );
    expect(kernel.table('vx-100')).toEqual({
      fdb: [`00:00:00:00:00:00 ${NODE1}`, `fa:16:3e:00:00:01 ${NODE1}`],
      neigh: ['192.0.2.2 fa:16:3e:00:00:01'],
    });
  });

  it('normalises MAC case and IPv6 spelling before programming', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(1, { [NODE1]: [['FA:16:3E:00:00:0A', '2001:DB8:0:0::1']] }));
    expect(kernel.table('vx-100')).toEqual({
      fdb: [`fa:16:3e:00:00:0a ${NODE1}`],
      neigh: ['2001:db8::1 fa:16:3e:00:00:0a'],
    });
  });

  it('ignores a duplicate and an older delta without touching the kernel', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(4, START));
    const before = kernel.calls.length;
    expect(await agent.handle(delta(4, 3, { add: { [NODE2]: [ROUTER] } }))).toMatchObject({ kind: 'stale' });
    expect(await agent.handle(delta(2, 1, { remove: { [NODE1]: [FLOOD] } }))).toMatchObject({
      kind: 'stale',
    });
    expect(kernel.calls.length).toBe(before);
  });

  it('asks for a snapshot on a gap, once per interval, and applies the snapshot that answers', async () => {
    const { agent, kernel, sent, tick } = setup();
    await agent.handle(snapshot(4, START));
    const before = kernel.table('vx-100');
    expect(await agent.handle(delta(7, 6, { add: { [NODE2]: [ROUTER] } }))).toMatchObject({ kind: 'gap' });
    expect(await agent.handle(delta(8, 7, { add: { [NODE2]: [ROUTER] } }))).toMatchObject({ kind: 'gap' });
    expect(kernel.table('vx-100')).toEqual(before);
    expect(sent).toEqual([{ type: 'agent.resync', v: 1, host: 'compute1', networkId: NET, reason: 'gap' }]);
    tick(1000);
    await agent.handle(delta(9, 8, {}));
    expect(sent).toHaveLength(2);
    await agent.handle(snapshot(9, { [NODE2]: [FLOOD, ROUTER] }));
    expect(await agent.handle(delta(10, 9, { remove: { [NODE2]: [ROUTER] } }))).toMatchObject({
      kind: 'applied',
    });
    expect(kernel.table('vx-100').fdb).toEqual([`00:00:00:00:00:00 ${NODE2}`]);
  });
});

describe('a refused command', () => {
  it('for a network the agent holds asks for a snapshot instead of staying silently behind', async () => {
    const { agent, sent, tick } = setup();
    await agent.handle(snapshot(1, START));
    // An envelope problem (the payload names another segment) refuses the whole command; a bad
    // entry alone no longer does (refused-entries.test.ts).
    const bad = JSON.parse(delta(2, 1, { add: { [NODE2]: [ROUTER] } }));
    bad.payloads[0].fdb_entries[NET].segment_id = 101;
    expect(await agent.handle(JSON.stringify(bad))).toMatchObject({
      kind: 'rejected',
      code: 'segment_mismatch',
    });
    expect(sent).toEqual([
      { type: 'agent.resync', v: 1, host: expect.any(String), networkId: NET, reason: 'gap' },
    ]);
    expect(agent.held(NET)?.dirty).toBe(true);
    // the snapshot it asked for repairs it
    tick(60_000);
    expect(await agent.handle(snapshot(2, { [NODE2]: [FLOOD] }))).toMatchObject({
      kind: 'applied',
      version: 2,
    });
    expect(agent.held(NET)).toMatchObject({ version: 2, dirty: false });
  });

  it('for a network it does not hold asks for nothing', async () => {
    const { agent, sent } = setup();
    expect(await agent.handle('{"v":1,"kind":"delta","networkId":"other"}')).toMatchObject({
      kind: 'rejected',
    });
    expect(sent).toEqual([]);
  });
});

describe('segments', () => {
  it('treats a delta for another VNI than the one held as a gap, not as a delta on an empty device', async () => {
    const { agent, kernel, sent } = setup();
    await agent.handle(snapshot(1, START));
    const moved = JSON.parse(delta(2, 1, { add: { [NODE2]: [ROUTER] } }));
    moved.segment.segmentId = 200;
    moved.payloads[0].fdb_entries[NET].segment_id = 200;
    expect(await agent.handle(JSON.stringify(moved))).toMatchObject({ kind: 'gap' });
    expect(kernel.devices.has('vx-200')).toBe(false);
    expect(sent.map((e) => e.type)).toEqual(['agent.resync']);
  });
});

describe('a VNI that two networks name in turn (Neutron reused the segment)', () => {
  /** The snapshot of another network on the same VNI as NET. */
  const otherNetworkSnapshot = (version: number) => {
    const other = JSON.parse(snapshot(version, { [NODE2]: [FLOOD, ROUTER] }));
    other.networkId = 'net-b';
    other.fdb_entries = { 'net-b': other.fdb_entries[NET] };
    return JSON.stringify(other);
  };

  it('asks for the new network again once the old one has left, whichever order they arrive in', async () => {
    const { agent, kernel, sent } = setup();
    await agent.handle(snapshot(1, START));
    // The two networks are two FIFO groups of the agent's queue: the new network's first
    // snapshot can come before the old network's leave.
    expect(await agent.handle(otherNetworkSnapshot(1))).toMatchObject({
      kind: 'rejected',
      code: 'segment_mismatch',
    });
    expect(sent).toEqual([]);
    expect(await agent.handle(leave(2))).toMatchObject({ kind: 'applied' });
    expect(sent).toEqual([
      { type: 'agent.resync', v: 1, host: expect.any(String), networkId: 'net-b', reason: 'gap' },
    ]);
    expect(await agent.handle(otherNetworkSnapshot(1))).toMatchObject({ kind: 'applied' });
    expect(kernel.table('vx-100').fdb).toEqual([`00:00:00:00:00:00 ${NODE2}`, `fa:16:3e:00:00:01 ${NODE2}`]);
    expect(agent.held('net-b')).toMatchObject({ version: 1, vni: 100, dirty: false });
  });
});

describe('leave and failures', () => {
  it('drops the device on leave and treats later deltas of older versions as stale', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(1, START));
    expect(await agent.handle(leave(2))).toMatchObject({ kind: 'applied' });
    expect(kernel.devices.has('vx-100')).toBe(false);
    expect(await agent.handle(delta(2, 1, { add: { [NODE1]: [ROUTER] } }))).toMatchObject({ kind: 'stale' });
    await agent.handle(snapshot(3, { [NODE2]: [FLOOD] }));
    expect(kernel.table('vx-100').fdb).toEqual([`00:00:00:00:00:00 ${NODE2}`]);
  });

  it('reports a kernel failure as transient, marks the network dirty and asks for a snapshot', async () => {
    const { agent, kernel, sent } = setup();
    await agent.handle(snapshot(1, START));
    kernel.failOn = 'replace';
    expect(
      await agent.handle(delta(2, 1, { add: { [NODE2]: [['fa:16:3e:00:00:02', '192.0.2.2']] } })),
    ).toMatchObject({ kind: 'failed' });
    expect(agent.held(NET)).toMatchObject({ version: 1, dirty: true });
    expect(sent.map((e) => e.type)).toEqual(['agent.resync']);
    kernel.failOn = null;
    expect(await agent.handle(snapshot(1, START))).toMatchObject({ kind: 'applied' });
    expect(agent.held(NET)).toMatchObject({ version: 1, dirty: false });
  });

  it('recreates a device whose proxy flag differs from the configuration', async () => {
    const { agent, kernel } = setup({ proxy: true });
    kernel.devices.set('vx-100', {
      vni: 100,
      local: '198.51.100.11',
      learning: false,
      proxy: false,
      master: null,
      up: true,
      fdb: new Map([['fa:16:3e:00:00:77', new Set(['198.51.100.77'])]]),
      neigh: new Map(),
    });
    await agent.handle(snapshot(1, START));
    expect(kernel.devices.get('vx-100')?.proxy).toBe(true);
    expect(kernel.table('vx-100').fdb).not.toContain('fa:16:3e:00:00:77 198.51.100.77');
  });

  it('reports its capabilities truthfully', () => {
    expect(setup({ learning: true, proxy: false }).agent.report()).toMatchObject({
      type: 'agent.report',
      host: 'compute1',
      tunnelIp: '198.51.100.11',
      networkTypes: ['vxlan'],
      capabilities: { learning: true, arp: 'off' },
      bootId: 'boot-1',
    });
    expect(setup({ learning: false, proxy: true }).agent.report().capabilities).toEqual({
      learning: false,
      arp: 'proxy',
    });
  });
});

describe('logs', () => {
  it("logs each command's outcome with the controller's correlation id, in the controller's schema", async () => {
    const log = createMemoryLogger();
    const agent = createAgent({
      config: agentConfig({}),
      executor: createFakeKernel(),
      log,
      send: async () => {},
      now: () => 1_000_000,
    });
    await agent.handle(snapshot(3, START), 'cid-7');
    await agent.handle(snapshot(4, START));
    expect(log.lines[0]).toMatchObject({ level: 'info', msg: 'applied', fields: { correlationId: 'cid-7' } });
    expect(log.lines[1]?.fields.correlationId).toBeUndefined();
    const out: string[] = [];
    const { createLogger } = await import('../../agent/create-logger.js');
    createLogger(
      { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream &
        import('node:stream').Writable,
      {
        host: 'h1',
      },
    ).info('applied', { correlationId: 'cid-7' });
    expect(JSON.parse(out[0] ?? '')).toMatchObject({
      level: 'INFO',
      message: 'applied',
      service: 'l2pop-agent',
      host: 'h1',
      correlationId: 'cid-7',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});

describe("the controller's record of the ports bound to this host", () => {
  const VM1 = {
    id: 'port-1',
    mac: 'fa:16:3e:00:00:10',
    ips: ['192.0.2.10'],
    allowedAddressPairs: [{ ipAddress: '192.0.2.100', macAddress: 'fa:16:3e:00:00:10' }],
  };
  const VM2 = { id: 'port-2', mac: 'fa:16:3e:00:00:20', ips: ['192.0.2.20'], allowedAddressPairs: [] };
  const withLocal = (body: string, localPorts: unknown) =>
    JSON.stringify({ ...JSON.parse(body), localPorts });

  it('takes the list of a snapshot (the union of its parts), the changes of each delta, and drops it on leave', async () => {
    const { agent } = setup();
    expect(agent.localPort(NET, 'port-1')).toBeUndefined();
    await agent.handle(withLocal(snapshot(3, { [NODE1]: [FLOOD] }, { index: 1, count: 2 }), [VM2]));
    // a part alone is not the list
    expect(agent.localPort(NET, 'port-2')).toBeUndefined();
    await agent.handle(withLocal(snapshot(3, { [NODE2]: [FLOOD] }, { index: 0, count: 2 }), [VM1]));
    expect(agent.localPort(NET, 'port-1')).toEqual(VM1);
    expect(agent.localPort(NET, 'port-2')).toEqual(VM2);
    // a pairs-only change: a delta without payloads that carries the record
    const changed = { ...VM1, allowedAddressPairs: [{ ipAddress: '10.9.0.0/24', macAddress: VM1.mac }] };
    await agent.handle(withLocal(delta(4, 3, {}), { upsert: [changed], remove: ['port-2'] }));
    expect(agent.localPort(NET, 'port-1')).toEqual(changed);
    expect(agent.localPort(NET, 'port-2')).toBeUndefined();
    // a duplicate of an older version changes nothing
    await agent.handle(withLocal(delta(4, 3, {}), { upsert: [VM1], remove: [] }));
    expect(agent.localPort(NET, 'port-1')).toEqual(changed);
    // a gap is not applied: the record stays until the snapshot that answers
    expect(await agent.handle(withLocal(delta(9, 8, {}), { upsert: [], remove: ['port-1'] }))).toMatchObject({
      kind: 'gap',
    });
    expect(agent.localPort(NET, 'port-1')).toEqual(changed);
    await agent.handle(leave(10));
    expect(agent.localPort(NET, 'port-1')).toBeUndefined();
  });

  it('refuses a command whose local ports are not addresses a port can have, or not bounded; canonicalises the rest', async () => {
    const { agent } = setup();
    const bad = [
      [{ ...VM1, mac: '01:00:5e:00:00:10' }],
      [{ ...VM1, ips: ['192.0.2.010'] }],
      [{ ...VM1, ips: ['127.0.0.1'] }],
      [{ ...VM1, allowedAddressPairs: [{ ipAddress: '224.0.0.18', macAddress: VM1.mac }] }],
      [{ ...VM1, allowedAddressPairs: Array(33).fill(VM1.allowedAddressPairs[0]) }],
      [{ ...VM1, allowedAddressPairs: [{ ipAddress: '192.0.2.100' }] }],
      [{ ...VM1, extra: 1 }],
      Array.from({ length: 1501 }, (_, i) => ({ ...VM2, id: `p${i}` })),
    ];
    for (const localPorts of bad)
      expect(await agent.handle(withLocal(snapshot(1, { [NODE1]: [FLOOD] }), localPorts))).toMatchObject({
        kind: 'rejected',
      });
    expect(await agent.handle(withLocal(delta(1, 0, {}), { upsert: [], remove: ['bad id!'] }))).toMatchObject(
      {
        kind: 'rejected',
      },
    );
    expect(agent.localPort(NET, 'port-1')).toBeUndefined();
    // the primitives' canonical forms: a lower-case MAC, a compressed IPv6, a prefix's host bits cleared
    await agent.handle(
      withLocal(snapshot(2, { [NODE1]: [FLOOD] }), [
        {
          ...VM1,
          mac: 'FA:16:3E:00:00:10',
          ips: ['2001:DB8:0:0::10'],
          allowedAddressPairs: [{ ipAddress: '10.0.0.5/24', macAddress: 'FA:16:3E:00:00:10' }],
        },
      ]),
    );
    expect(agent.localPort(NET, 'port-1')).toEqual({
      ...VM1,
      ips: ['2001:db8::10'],
      allowedAddressPairs: [{ ipAddress: '10.0.0.0/24', macAddress: VM1.mac }],
    });
  });
});
