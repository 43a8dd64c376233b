import { describe, expect, it } from 'vitest';
import { type AgentOutboundEvent, createMemoryTransport } from '../../agent/agent-transport.js';
import { auditEvents, computeDeviceDigest } from '../../agent/audit-digest.js';
import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { parseDeviceState } from '../../agent/read-device-state.js';
import { runAgent } from '../../agent/run-agent.js';
import { agentAuditV1 } from '../../src/contracts/events.js';
import { LIMITS } from '../../src/contracts/primitives.js';
import { computeTableDigest, computeViewDigest, digestsEqual } from '../../src/core/digest.js';
import { createFakeKernel } from './fake-kernel.js';
import { agentConfig, FLOOD, NET, NODE1, NODE2, ROUTER, snapshot } from './fixtures.js';

/**
 * `bridge -j fdb show dev vx-5` and `ip -j neigh show dev vx-5` as kernel 6.18 / iproute2 print them
 * for a vxlan port of bridge br5 holding: the agent's flooding and unicast entries (`self
 * permanent`), an entry the vxlan device learned (`self`, no state), one the bridge learned
 * (`master`, no state), an operator's `master static` one, the bridge's own permanent entry of the
 * port, and a REACHABLE neighbour next to the agent's PERMANENT one.
 */
const FDB_JSON = JSON.stringify([
  { mac: 'fa:16:3e:00:00:0b', flags: [], master: 'br5', state: 'static' },
  { mac: 'fa:16:3e:00:00:0a', flags: [], master: 'br5', state: '' },
  { mac: 'de:71:61:e5:bf:ea', flags: [], master: 'br5', state: 'permanent' },
  { mac: 'fa:16:3e:00:00:09', dst: '192.0.2.3', flags: ['self'], state: '' },
  { mac: 'fa:16:3e:00:00:01', dst: '192.0.2.2', flags: ['self'], state: 'permanent' },
  { mac: '00:00:00:00:00:00', dst: '192.0.2.2', flags: ['self'], state: 'permanent' },
]);
const NEIGH_JSON = JSON.stringify([
  { dst: '10.0.0.1', lladdr: 'fa:16:3e:00:00:01', state: ['PERMANENT'] },
  { dst: '10.0.0.9', lladdr: 'fa:16:3e:00:00:09', state: ['REACHABLE'] },
]);

describe('the digest of what a VXLAN device holds', () => {
  it('counts only the entries the agent programs, and equals the core digest of the same view', () => {
    const state = parseDeviceState(FDB_JSON, NEIGH_JSON);
    const table = { '192.0.2.2': [FLOOD, ['fa:16:3e:00:00:01', '10.0.0.1']] as const };
    expect(computeDeviceDigest(state, true)).toEqual(computeTableDigest(table, true));
    expect(computeDeviceDigest(state, true).counts).toEqual({ flood: 1, unicast: 1, arp: 1 });
    expect(computeDeviceDigest(state, false)).toEqual(computeTableDigest(table, false));
  });

  it('changes when a programmed entry is missing or a stray permanent one is there', () => {
    const base = computeDeviceDigest(parseDeviceState(FDB_JSON, NEIGH_JSON), true);
    const rows = JSON.parse(FDB_JSON) as object[];
    const without = computeDeviceDigest(parseDeviceState(JSON.stringify(rows.slice(0, 4)), NEIGH_JSON), true);
    const stray = computeDeviceDigest(
      parseDeviceState(
        JSON.stringify([
          ...rows,
          { mac: 'fa:16:3e:00:00:77', dst: '192.0.2.7', flags: ['self'], state: 'permanent' },
        ]),
        NEIGH_JSON,
      ),
      true,
    );
    const noArp = computeDeviceDigest(parseDeviceState(FDB_JSON, '[]'), true);
    for (const d of [without, stray, noArp]) expect(digestsEqual(d, base)).toBe(false);
  });
});

function setup(now: number, send: (e: AgentOutboundEvent) => Promise<void> = async () => {}) {
  const kernel = createFakeKernel();
  const agent = createAgent({
    config: agentConfig(),
    executor: kernel,
    log: createMemoryLogger(),
    send,
    now: () => now,
  });
  return { agent, kernel };
}

describe('agent.audit', () => {
  it('the agent reports, per network it holds, the version and the digest of the view it was sent', async () => {
    const { agent, kernel } = setup(1_796_601_600_000);
    const view = { [NODE1]: [FLOOD, ROUTER], [NODE2]: [FLOOD] };
    await agent.handle(snapshot(4, view));
    const [event, ...more] = await agent.audit();
    expect(more).toEqual([]);
    expect(agentAuditV1.parse(event)).toEqual(event);
    const digest = computeTableDigest(view, true);
    expect(event).toEqual({
      type: 'agent.audit',
      v: 1,
      host: 'compute1',
      bootId: agentConfig().bootId,
      readAt: 1_796_601_600_000,
      networks: [{ networkId: NET, version: 4, sum: digest.sum, counts: digest.counts }],
    });
    kernel.devices.get('vx-100')?.fdb.delete('fa:16:3e:00:00:01');
    const [after] = await agent.audit();
    expect(after?.networks[0]?.sum).not.toBe(digest.sum);
  });

  it('a network whose device is gone audits as empty', async () => {
    const { agent, kernel } = setup(0);
    await agent.handle(snapshot(1, { [NODE1]: [FLOOD] }));
    kernel.devices.delete('vx-100');
    const [event] = await agent.audit();
    expect(event?.networks).toEqual([{ networkId: NET, version: 1, ...computeViewDigest([]) }]);
  });

  it('splits an agent holding more networks than one event carries', () => {
    const n = LIMITS.maxAuditNetworks + 3;
    const networks = Array.from({ length: n }, (_, i) => ({
      networkId: `net-${i}`,
      version: i,
      digest: computeViewDigest([{ kind: 'flood', vtep: `192.0.2.${(i % 250) + 1}` }]),
    }));
    const events = auditEvents({ host: 'h1', bootId: 'b1', readAt: 5, networks });
    expect(events.map((e) => e.networks.length)).toEqual([LIMITS.maxAuditNetworks, 3]);
  });

  it('runAgent sends an audit every auditMs, with the version and digest the agent holds', async () => {
    const transport = createMemoryTransport();
    const { agent } = setup(0, (e) => transport.send(e));
    const stop = new AbortController();
    const running = runAgent(agent, transport, stop.signal, { appliedReportMs: 10_000, auditMs: 20 });
    transport.push(snapshot(1, { [NODE1]: [FLOOD, ROUTER] }));
    const audits = () => transport.sent.filter((e) => e.type === 'agent.audit');
    for (let i = 0; i < 200 && audits().filter((e) => e.networks.length > 0).length < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    await running;
    const full = audits().filter((e) => e.networks.length > 0);
    expect(full.length).toBeGreaterThanOrEqual(2);
    const want = computeTableDigest({ [NODE1]: [FLOOD, ROUTER] }, true);
    for (const e of full) expect(e.networks[0]).toMatchObject({ version: 1, sum: want.sum });
  });
});
