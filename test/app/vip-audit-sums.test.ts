import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { Deps, EventResult } from '../../src/app/reconcile.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { applyAgentCommand, type HeldNetwork } from '../../src/core/agent-protocol.js';
import { computeTableDigest } from '../../src/core/digest.js';
import { computeStoredDesiredDigest } from '../../src/core/digest-change.js';
import { parseHostDigestRecord, parseNetworkDigestRecord } from '../../src/core/digest-record.js';

/**
 * The drift-audit sums of VIP claims through the dispatcher on the in-memory store
 * (docs/drift-audit.md, "Shared unicast entries"): every agent's desired digest from the sum
 * records equals the digest of the table it holds, when a claim's MAC is its port's own (planned
 * incrementally: the claim tells the planner its owner port) and when a virtual MAC is another
 * port's (the planner is not told, and the full recompute counts every holder).
 */
const NET = { id: 'net-s', networkType: 'vxlan', segmentId: 701 };
const VIP = '10.0.1.100';
const VMAC = '00:00:5e:00:01:09';
const TUNNEL: Record<string, string> = { h1: '192.0.2.11', h2: '192.0.2.12', h3: '192.0.2.13' };

function world() {
  const store = createMemoryStore({ now: () => 1_000_000 });
  const held = new Map<string, HeldNetwork | undefined>();
  const deps: Deps = {
    store,
    publisher: {
      publish: async (r) => {
        for (const { host, command } of r.commands)
          held.set(host, applyAgentCommand(held.get(host), command).state);
      },
    },
    now: () => 1_000_000,
  };
  const send = (e: Record<string, unknown>): Promise<EventResult> =>
    dispatchEvent(deps, parseInboundEvent(JSON.stringify({ v: 1, ...e })));
  const port = (id: string, mac: string, host: string, ip: string, pairs: unknown[] = []) =>
    send({
      type: 'port.upsert',
      network: NET,
      port: {
        id,
        networkId: NET.id,
        mac,
        ips: [ip],
        deviceOwner: 'compute:nova',
        deviceId: `vm-${id}`,
        host,
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
        allowedAddressPairs: pairs,
      },
    });
  const claim = (portId: string, host: string, mac: string, at: number) =>
    send({ type: 'vip.claim', host, networkId: NET.id, portId, ip: VIP, mac, kind: 'garp', at, seq: at });
  /** Each member's desired digest from the sum records, and the digest of what it holds (h2 is none). */
  const digests = () =>
    ['h1', 'h3'].map((host) => {
      const net = parseNetworkDigestRecord(store.digestRecord(NET.id, null) ?? {});
      const mine = parseHostDigestRecord(store.digestRecord(NET.id, host) ?? {});
      return {
        host,
        complete: net.complete,
        desired: computeStoredDesiredDigest(net, mine, true),
        held: computeTableDigest(held.get(host)?.table ?? {}, true),
      };
    });
  const setup = async () => {
    await send({
      type: 'flags.set',
      flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
      revision: 1,
    });
    for (const [host, tunnelIp] of Object.entries(TUNNEL))
      await send({
        type: 'agent.report',
        host,
        tunnelIp,
        agentType: 'Open vSwitch agent',
        networkTypes: ['vxlan'],
        capabilities: { learning: false, arp: 'responder' },
        bootId: 'b1',
        revision: 1,
      });
  };
  return { send, port, claim, digests, setup };
}

describe('drift-audit sums of VIP claims', () => {
  it('a plain VIP (its port’s own MAC) is planned incrementally and its entry counted once', async () => {
    const w = world();
    await w.setup();
    await w.port('pa', 'fa:16:3e:01:00:0a', 'h1', '10.0.1.10', [{ ipAddress: VIP }]);
    await w.port('pc', 'fa:16:3e:01:00:0c', 'h3', '10.0.1.12');
    const r = await w.claim('pa', 'h1', 'fa:16:3e:01:00:0a', 900_000);
    expect(r.networks.map((n) => n.fallback)).toEqual([undefined]);
    for (const d of w.digests()) {
      expect(d.complete, d.host).toBe(true);
      expect(d.desired, d.host).toEqual(d.held);
    }
  });

  it('a virtual MAC that is another port’s on the same host runs the full recompute, which counts the entry once', async () => {
    const w = world();
    await w.setup();
    await w.port('pa', 'fa:16:3e:01:00:0a', 'h1', '10.0.1.10', [{ ipAddress: VIP, macAddress: VMAC }]);
    // a port whose own MAC is the virtual MAC, on the owner's host: it holds the same unicast entry
    await w.port('pz', VMAC, 'h1', '10.0.1.11');
    await w.port('pc', 'fa:16:3e:01:00:0c', 'h3', '10.0.1.12');
    const r = await w.claim('pa', 'h1', VMAC, 900_000);
    expect(r.networks.map((n) => n.fallback)).toEqual(['vips/vip-key-unknown']);
    for (const d of w.digests()) {
      expect(d.complete, d.host).toBe(true);
      expect(d.desired, d.host).toEqual(d.held);
    }
    // and a port event of that port afterwards is incremental and keeps them equal
    const down = await w.send({
      type: 'port.upsert',
      network: NET,
      port: {
        id: 'pz',
        networkId: NET.id,
        mac: VMAC,
        ips: ['10.0.1.11'],
        deviceOwner: 'compute:nova',
        deviceId: 'vm-pz',
        host: 'h1',
        status: 'DOWN',
        dvrHosts: [],
        revision: 2,
      },
    });
    expect(down.networks.map((n) => n.fallback)).toEqual([undefined]);
    for (const d of w.digests()) expect(d.desired, d.host).toEqual(d.held);
  });
});
