import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { message } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * A binding tied to its port, through the bundled handlers (esbuild bundles behind their pollers,
 * DynamoDB Local, fauxqs, simulated agents as strict as the reference agent): under master-binding
 * the owner port's delete, and then another owner's loss of its pair, withdraw the VIP's ARP entry
 * and the virtual MAC's unicast entry from every agent, each event delivered twice; a later claim
 * binds it again; every agent equals the fact oracle, which unbinds against every VIP on each port
 * fact (docs/vip.md, "A binding is tied to its port").
 */
const NET = { id: 'net-vipb', networkType: 'vxlan', segmentId: 911 };
const VIP = '10.9.1.100';
const VMAC = '00:00:5e:00:01:34';
const HOSTS = ['b1', 'b2', 'b3'];
const tunnel = (h: string) => `198.51.100.${HOSTS.indexOf(h) + 21}`;

const report = (host: string) =>
  message('agent', host, {
    type: 'agent.report',
    host,
    tunnelIp: tunnel(host),
    agentType: 'Linux bridge agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: false, arp: 'proxy' },
    bootId: 'b1',
    revision: 1,
  });
const port = (id: string, host: string, n: number, revision: number, pairs: boolean) =>
  message('port', NET.id, {
    type: 'port.upsert',
    network: NET,
    port: {
      id,
      networkId: NET.id,
      mac: `fa:16:3e:09:01:0${n}`,
      ips: [`10.9.1.${10 + n}`],
      deviceOwner: 'compute:nova',
      deviceId: `vm-${id}`,
      host,
      status: 'ACTIVE',
      dvrHosts: [],
      revision,
      allowedAddressPairs: pairs ? [{ ipAddress: VIP, macAddress: VMAC }] : [],
    },
  });
const remove = (id: string, revision: number) =>
  message('port', NET.id, { type: 'port.delete', portId: id, networkId: NET.id, revision });
const claim = (portId: string, host: string, at: number): WorkloadMessage =>
  message('agent', host, {
    type: 'vip.claim',
    host,
    networkId: NET.id,
    portId,
    ip: VIP,
    mac: VMAC,
    kind: 'garp',
    at,
    seq: at,
  });

/** Whether an agent's table holds the binding: the ARP entry or the virtual MAC's unicast entry. */
const bound = (table: Record<string, readonly (readonly [string, string])[]>) =>
  Object.values(table).some((es) => es.some(([mac, ip]) => mac === VMAC || ip === VIP));

describe('a VIP binding tied to its port, through the bundled handlers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'vipbind' });
  });
  afterAll(() => h?.stop());

  it('withdraws the binding on every agent when the owner port is deleted or loses its pair, and a claim binds it again', async () => {
    const flags = message('ha', 'flags', {
      type: 'flags.set',
      flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
      revision: 1,
    });
    const setup = [
      flags,
      ...HOSTS.map(report),
      port('pa', 'b1', 1, 1, true),
      port('pb', 'b2', 2, 1, true),
      port('pc', 'b3', 3, 1, false),
    ];
    await h.send(setup);
    await h.converge(setup);
    const t = Date.now();
    const first = [claim('pa', 'b1', t - 5000)];
    await h.send(first, 2);
    let all = [...setup, ...first];
    await h.converge(all);
    expect(h.agents.agents.table('b3', NET.id)[tunnel('b1')]).toContainEqual([VMAC, VIP]);
    // the owner's port is deleted: no agent keeps an entry pointing at it
    const deleted = [remove('pa', 2)];
    await h.send(deleted, 2);
    all = [...all, ...deleted];
    await h.converge(all);
    expect(h.diff(all)).toEqual([]);
    for (const host of ['b2', 'b3']) expect(bound(h.agents.agents.table(host, NET.id)), host).toBe(false);
    // the backup announces and takes it
    const takeover = [claim('pb', 'b2', t - 4000)];
    await h.send(takeover, 2);
    all = [...all, ...takeover];
    await h.converge(all);
    expect(h.agents.agents.table('b3', NET.id)[tunnel('b2')]).toContainEqual([VMAC, VIP]);
    // the new owner's pair is removed: withdrawn again
    const dropped = [port('pb', 'b2', 2, 2, false)];
    await h.send(dropped, 2);
    all = [...all, ...dropped];
    await h.converge(all);
    expect(h.diff(all)).toEqual([]);
    expect(bound(h.agents.agents.table('b3', NET.id))).toBe(false);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    expect(h.agents.received.gaps).toBe(0);
  });
});
