import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentReport, flagsSet, portDelete, vipClaim, vmPortUpsert } from '../support/messages.js';
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

const report = (host: string) => agentReport(host, tunnel(host), true);
const port = (id: string, host: string, n: number, revision: number, pairs: boolean) =>
  vmPortUpsert(NET, {
    id,
    mac: `fa:16:3e:09:01:0${n}`,
    ips: [`10.9.1.${10 + n}`],
    host,
    revision,
    allowedAddressPairs: pairs ? [{ ipAddress: VIP, macAddress: VMAC }] : [],
  });
const remove = (id: string, revision: number) => portDelete(NET.id, id, revision);
const claim = (portId: string, host: string, at: number): WorkloadMessage =>
  vipClaim({ host, networkId: NET.id, portId, ip: VIP, mac: VMAC, at });

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
    const setup = [
      flagsSet('master-binding'),
      ...HOSTS.map(report),
      port('pa', 'b1', 1, 1, true),
      port('pb', 'b2', 2, 1, true),
      port('pc', 'b3', 3, 1, false),
    ];
    let all = await h.deliver([], setup);
    const t = Date.now();
    all = await h.deliver(all, [claim('pa', 'b1', t - 5000)], 2);
    expect(h.agents.agents.table('b3', NET.id)[tunnel('b1')]).toContainEqual([VMAC, VIP]);
    // the owner's port is deleted: no agent keeps an entry pointing at it
    all = await h.deliver(all, [remove('pa', 2)], 2);
    expect(h.diff(all)).toEqual([]);
    for (const host of ['b2', 'b3']) expect(bound(h.agents.agents.table(host, NET.id)), host).toBe(false);
    // the backup announces and takes it
    all = await h.deliver(all, [claim('pb', 'b2', t - 4000)], 2);
    expect(h.agents.agents.table('b3', NET.id)[tunnel('b2')]).toContainEqual([VMAC, VIP]);
    // the new owner's pair is removed: withdrawn again
    all = await h.deliver(all, [port('pb', 'b2', 2, 2, false)], 2);
    expect(h.diff(all)).toEqual([]);
    expect(bound(h.agents.agents.table('b3', NET.id))).toBe(false);
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    expect(h.agents.received.gaps).toBe(0);
  });
});
