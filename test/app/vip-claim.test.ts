import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { releaseFrozenVip } from '../../src/app/on-vip-release.js';
import type { EventResult } from '../../src/app/reconcile.js';
import { listVips, renderVipRows } from '../../src/cli/vip-command.js';
import { computeTableDigest } from '../../src/core/digest.js';
import { computeStoredDesiredDigest } from '../../src/core/digest-change.js';
import { parseHostDigestRecord, parseNetworkDigestRecord } from '../../src/core/digest-record.js';
import type { AgentTable, Strategy } from '../../src/core/types.js';
import { createAppliedAgents } from '../support/applied-agents.js';
import { type Body, inboundEvent } from '../support/inbound-bodies.js';
import { VIP_WORLD, vipWorldPorts, vipWorldSetup } from '../support/vip-world.js';

/**
 * `vip.claim` through the dispatcher on the in-memory store: accepted claims move the VIP's
 * entries (master-binding), refusals are typed and change nothing, stale claims change nothing,
 * and every agent's table, applied from the commands, ends where the claims say.
 */
const NET = { id: 'net-v', networkType: 'vxlan', segmentId: 700 };
const { vip: VIP, vmac: VMAC, tunnels: TUNNEL, macs: MAC } = VIP_WORLD;

function world(strategy: Strategy, now = 1_000_000) {
  const { store, deps, published, table } = createAppliedAgents({ now });
  const send = (e: Body): Promise<EventResult> => dispatchEvent(deps, inboundEvent(e));
  const setup = async () => {
    for (const body of [...vipWorldSetup(strategy, TUNNEL), ...vipWorldPorts(NET)]) await send(body);
  };
  const claim = (portId: string, host: string, mac: string, at: number, seq = 1) =>
    send({ type: 'vip.claim', host, networkId: NET.id, portId, ip: VIP, mac, kind: 'garp', at, seq });
  return { store, deps, published, send, table, setup, claim };
}

const holds = (t: AgentTable, tunnelIp: string, mac: string, ip = VIP) =>
  (t[tunnelIp] ?? []).some(([m, i]) => m === mac && i === ip);
const anyVip = (t: AgentTable) => Object.values(t).some((es) => es.some(([, ip]) => ip === VIP));

describe('vip.claim under master-binding', () => {
  it('binds the VIP to the claimed MAC behind the owner on every other agent, and a newer claim moves it', async () => {
    const w = world('master-binding');
    await w.setup();
    const first = await w.claim('pa', 'h1', VMAC, 999_000);
    expect(first.outcome).toBe('applied');
    expect(first.vip).toMatchObject({ moved: true, owner: { host: 'h1', portId: 'pa', mac: VMAC } });
    for (const h of ['h2', 'h3']) expect(holds(w.table(h), TUNNEL.h1 as string, VMAC), h).toBe(true);
    expect(anyVip(w.table('h1'))).toBe(false);
    // pb takes it with its own MAC (its pair has none): the entry moves behind h2
    const second = await w.claim('pb', 'h2', MAC.pb as string, 999_500);
    expect(second.vip).toMatchObject({ moved: true, owner: { host: 'h2', mac: MAC.pb } });
    for (const h of ['h1', 'h3']) {
      expect(holds(w.table(h), TUNNEL.h2 as string, MAC.pb as string), h).toBe(true);
      expect(holds(w.table(h), TUNNEL.h1 as string, VMAC), h).toBe(false);
    }
    // a late claim (older stamp) and a duplicate change nothing and send nothing
    const n = w.published.length;
    expect((await w.claim('pa', 'h1', VMAC, 999_200)).outcome).toBe('stale');
    expect((await w.claim('pb', 'h2', MAC.pb as string, 999_500)).outcome).toBe('stale');
    expect(w.published.length).toBe(n);
    expect(holds(w.table('h3'), TUNNEL.h2 as string, MAC.pb as string)).toBe(true);
  });

  it.each([
    ['a port without a covering pair', 'pc', 'h3', MAC.pc, 'vip_no_matching_aap'],
    ['a port on another host', 'pa', 'h2', VMAC, 'vip_port_not_on_host'],
    ['a MAC that is neither the pair’s nor the port’s', 'pa', 'h1', 'fa:16:3e:99:99:99', 'vip_mac_mismatch'],
    ['an unknown port', 'px', 'h1', VMAC, 'vip_unknown_port'],
  ])('refuses a claim from %s, typed, and changes nothing', async (_what, portId, host, mac, code) => {
    const w = world('master-binding');
    await w.setup();
    await w.claim('pa', 'h1', VMAC, 999_000);
    const before = w.published.length;
    await expect(w.claim(portId as string, host as string, mac as string, 999_900)).rejects.toMatchObject({
      code,
    });
    expect(w.published.length).toBe(before);
    expect(holds(w.table('h3'), TUNNEL.h1 as string, VMAC)).toBe(true);
    expect((await w.store.listNetworkVips(NET.id))[0]?.state.owner?.portId).toBe('pa');
  });

  it('refuses a claim stamped too far in the future', async () => {
    const w = world('master-binding', 1_000_000);
    await w.setup();
    await expect(w.claim('pa', 'h1', VMAC, 1_000_000 + 10_001)).rejects.toMatchObject({
      code: 'vip_claim_from_the_future',
    });
  });
});

describe('vip.claim under tunnel', () => {
  it('records the claim and sends no entry for the VIP (as Neutron: nothing for allowed-address pairs)', async () => {
    const w = world('tunnel');
    await w.setup();
    const n = w.published.length;
    const r = await w.claim('pa', 'h1', VMAC, 999_000);
    expect(r.vip).toMatchObject({ strategy: 'tunnel', owner: { host: 'h1' } });
    expect(w.published.length).toBe(n);
    for (const h of ['h1', 'h2', 'h3']) expect(anyVip(w.table(h)), h).toBe(false);
    // every host with a port holding the pair is flooded to: present through its own port
    expect(w.table('h3')[TUNNEL.h1 as string]).toContainEqual(['00:00:00:00:00:00', '0.0.0.0']);
    expect(w.table('h3')[TUNNEL.h2 as string]).toContainEqual(['00:00:00:00:00:00', '0.0.0.0']);
    expect((await w.store.listNetworkVips(NET.id)).map((v) => v.state.owner?.host)).toEqual(['h1']);
  });
});

describe('flapping', () => {
  it('freezes the VIP on its latest owner after more than 5 moves in 180 s, and says so', async () => {
    const w = world('master-binding', 2_000_000);
    await w.setup();
    const results: EventResult[] = [];
    for (let i = 0; i < 8; i++) {
      const [port, host, mac] = i % 2 === 0 ? ['pa', 'h1', VMAC] : ['pb', 'h2', MAC.pb as string];
      results.push(await w.claim(port, host, mac, 1_900_000 + i * 2000, i + 1));
    }
    // moves 1..6: the sixth move (seventh claim) exceeds 5 and freezes on h1
    expect(results.map((r) => r.vip?.froze)).toEqual([false, false, false, false, false, false, true, false]);
    expect(results[7]?.vip).toMatchObject({ suppressed: true, frozen: true, owner: { host: 'h1' } });
    expect(holds(w.table('h3'), TUNNEL.h1 as string, VMAC)).toBe(true);
  });
});

describe('a VIP strategy follows the flags', () => {
  const flags = (defaultStrategy: Strategy, extra: Record<string, unknown> = {}) => ({
    defaultStrategy,
    rollout: null,
    networks: {},
    routers: {},
    ...extra,
  });

  it('moves a recorded VIP when the flags flip, and a per-port override wins over the default', async () => {
    const w = world('tunnel');
    await w.setup();
    await w.claim('pa', 'h1', VMAC, 999_000);
    expect(anyVip(w.table('h3'))).toBe(false);
    const flip = await w.send({ type: 'flags.set', flags: flags('master-binding'), revision: 2 });
    expect(flip.strategies).toMatchObject({ [`vip:${VIP}`]: 'master-binding' });
    expect(holds(w.table('h3'), TUNNEL.h1 as string, VMAC)).toBe(true);
    // the owner port pa is kept on tunnel by its override; pb is not
    await w.send({
      type: 'flags.set',
      flags: flags('master-binding', { ports: { pa: 'tunnel' } }),
      revision: 3,
    });
    expect(anyVip(w.table('h3'))).toBe(false);
    await w.claim('pb', 'h2', MAC.pb as string, 999_100);
    expect(holds(w.table('h3'), TUNNEL.h2 as string, MAC.pb as string)).toBe(true);
    expect((await w.store.listNetworkVips(NET.id))[0]?.strategy).toBe('master-binding');
  });
});

describe('the operator', () => {
  it('lists VIPs with owner, strategy and freeze, and releases a frozen VIP to the newest claim', async () => {
    const w = world('master-binding', 2_000_000);
    await w.setup();
    expect(await releaseFrozenVip(w.deps, NET.id, VIP)).toBe('unknown_vip');
    await w.claim('pa', 'h1', VMAC, 1_900_000);
    expect(await releaseFrozenVip(w.deps, NET.id, VIP)).toBe('not_frozen');
    for (let i = 1; i < 8; i++) {
      const [port, host, mac] = i % 2 === 0 ? ['pa', 'h1', VMAC] : ['pb', 'h2', MAC.pb as string];
      await w.claim(port, host, mac, 1_900_000 + i * 2000, i + 1);
    }
    const [row] = await listVips(w.store);
    expect(row).toMatchObject({ ip: VIP, owner: { host: 'h1' }, strategy: 'master-binding' });
    expect(row?.frozenAt).not.toBeNull();
    expect(row?.newest).toMatchObject({ host: 'h2', portId: 'pb' });
    expect(renderVipRows([row as NonNullable<typeof row>])).toContain('FROZEN since');
    const released = await releaseFrozenVip(w.deps, NET.id, VIP);
    expect(released).toMatchObject({ outcome: 'applied', vip: { released: true, owner: { host: 'h2' } } });
    expect(holds(w.table('h3'), TUNNEL.h2 as string, MAC.pb as string)).toBe(true);
    expect(holds(w.table('h3'), TUNNEL.h1 as string, VMAC)).toBe(false);
    const [after] = await listVips(w.store, [NET.id]);
    expect(after).toMatchObject({ frozenAt: null, newest: null, owner: { host: 'h2' } });
  });
});

/**
 * The drift-audit sums of claims (docs/drift-audit.md, "Shared unicast entries"): every member's
 * desired digest from the sum records equals the digest of the table it holds, for a plain VIP
 * (planned incrementally: the claim tells the planner its owner port) and for a virtual MAC that is
 * another port's own (the planner is not told, and the full recompute counts every holder).
 */
describe('vip.claim and the drift-audit sums', () => {
  const digestsOf = (w: ReturnType<typeof world>) =>
    Object.keys(TUNNEL).map((host) => {
      const net = parseNetworkDigestRecord(w.store.digestRecord(NET.id, null) ?? {});
      const mine = parseHostDigestRecord(w.store.digestRecord(NET.id, host) ?? {});
      return {
        host,
        complete: net.complete,
        desired: computeStoredDesiredDigest(net, mine, true),
        held: computeTableDigest(w.table(host), true),
      };
    });
  const expectExact = (w: ReturnType<typeof world>) => {
    for (const d of digestsOf(w)) {
      expect(d.complete, d.host).toBe(true);
      expect(d.desired, d.host).toEqual(d.held);
    }
  };
  const portZ = (status: 'ACTIVE' | 'DOWN', revision: number, w: ReturnType<typeof world>) =>
    w.send({
      type: 'port.upsert',
      network: NET,
      port: {
        id: 'pz',
        networkId: NET.id,
        mac: VMAC,
        ips: ['10.0.0.19'],
        deviceOwner: 'compute:nova',
        deviceId: 'vm-pz',
        host: 'h1',
        status,
        dvrHosts: [],
        revision,
      },
    });

  it('counts a plain VIP’s entry (its port’s own MAC) once, planned incrementally', async () => {
    const w = world('master-binding');
    await w.setup();
    const r = await w.claim('pb', 'h2', MAC.pb as string, 999_000);
    expect(r.networks.map((n) => n.fallback)).toEqual([undefined]);
    expectExact(w);
  });

  it('runs the full recompute for a virtual MAC that is another port’s on the owner’s host, which counts it once', async () => {
    const w = world('master-binding');
    await w.setup();
    // a port whose own MAC is the virtual MAC, on the owner's host: it holds the same unicast entry
    await portZ('ACTIVE', 1, w);
    const r = await w.claim('pa', 'h1', VMAC, 999_000);
    expect(r.networks.map((n) => n.fallback)).toEqual(['vips/vip-key-unknown']);
    expectExact(w);
    // a port event of that port afterwards is incremental and keeps them equal
    const down = await portZ('DOWN', 2, w);
    expect(down.networks.map((n) => n.fallback)).toEqual([undefined]);
    expectExact(w);
  });
});
