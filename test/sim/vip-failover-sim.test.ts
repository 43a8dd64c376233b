import { describe, expect, it } from 'vitest';
import type { AgentCapabilities, AgentTable, Entry } from '../../src/core/types.js';
import { type FailoverInput, type HaAddress, simulateFailover } from '../../tools/sim/failover-sim.js';
import { FLOOD, KERNEL_NOLEARNING, KERNEL_PROXY, OVS } from './bed.js';

/**
 * A keepalived VIP with a virtual MAC on the VMs of hA and hB, pinged by a VM on each of three
 * client agents: c1 learns and answers ARP (Open vSwitch), c2 runs a kernel ARP proxy without
 * learning, c3 neither learns nor answers ARP (it floods). The default A/B scenario in small.
 * Steps are 10 ms from -1000 ms, so the takeover at 815 ms is seen at 820 ms.
 */
const VIP: HaAddress = { networkId: 'n1', mac: '00:00:5e:00:01:0a', ip: '192.0.2.100', adverts: true };
const HOSTS = ['hA', 'hB', 'c1', 'c2', 'c3'] as const;
type Host = (typeof HOSTS)[number];
const tunnelIp = (h: Host) => `198.51.100.${HOSTS.indexOf(h) + 1}`;
const vmOf = (h: Host) => ({
  host: h,
  networkId: 'n1',
  mac: `fa:16:3e:00:00:${HOSTS.indexOf(h) + 10}`,
  ip: `192.0.2.${HOSTS.indexOf(h) + 10}`,
});
const CAPS: Record<Host, AgentCapabilities> = {
  hA: OVS,
  hB: KERNEL_PROXY,
  c1: OVS,
  c2: KERNEL_PROXY,
  c3: KERNEL_NOLEARNING,
};
const CLIENTS = ['c1', 'c2', 'c3'] as const;

/** tunnel: flooding entries and every VM's own `[mac, ip]`; master-binding adds the VIP behind its owner. */
function tables(owner: Host | null): { host: Host; networkId: string; table: AgentTable }[] {
  return HOSTS.map((host) => {
    const table: Record<string, Entry[]> = {};
    for (const other of HOSTS.filter((h) => h !== host)) {
      const vm = vmOf(other);
      const entries: Entry[] = [FLOOD, [vm.mac, vm.ip]];
      if (owner === other) entries.push([VIP.mac, VIP.ip]);
      table[tunnelIp(other)] = entries;
    }
    return { host, networkId: 'n1', table };
  });
}

function vipFailover(o: Partial<FailoverInput> = {}): FailoverInput {
  return {
    nodes: HOSTS.map((host) => ({ host, tunnelIp: tunnelIp(host), capabilities: CAPS[host] })),
    initial: tables(null),
    changes: [],
    interfaces: [VIP],
    vms: CLIENTS.map(vmOf),
    from: 'hA',
    to: 'hB',
    mode: 'graceful',
    vrrp: { takeoverMs: 815, garpRepeatMs: 5000, advertMs: 1000 },
    windowMs: 20_000,
    ...o,
  };
}

const byHost = (r: ReturnType<typeof simulateFailover>) =>
  Object.fromEntries(
    r.vms.map((v) => [v.host, { okBefore: v.okBefore, firstReplyMs: v.firstReplyMs, outageMs: v.outageMs }]),
  );

describe('a VIP failover in the data plane', () => {
  it('tunnel, to an owner behind an ARP proxy: learning follows the adverts, flooding reaches it, the proxy client never resolves the VIP', () => {
    const r = simulateFailover(vipFailover());
    expect(r.garpCopies).toBe(0); // hB's proxy eats the new owner's GARPs (finding 2)
    expect(byHost(r)).toEqual({
      // learned the virtual MAC behind hA; the new master's first advert (820) moves it to hB
      c1: { okBefore: true, firstReplyMs: 820, outageMs: 830 },
      // no entry for the VIP (tunnel sends none): the proxy drops the request, no GARP ever comes
      c2: { okBefore: false, firstReplyMs: null, outageMs: null },
      // floods every frame to the virtual MAC, so hB gets it once it holds the VIP
      c3: { okBefore: true, firstReplyMs: 820, outageMs: 830 },
    });
  });

  it('without the adverts (a VIP at a port MAC) the learning client keeps the old owner until ageing', () => {
    const r = simulateFailover(vipFailover({ interfaces: [{ ...VIP, adverts: false }] }));
    expect(byHost(r).c1).toEqual({ okBefore: true, firstReplyMs: null, outageMs: null });
  });

  it("master-binding: every client, the proxy one included, recovers when the controller's move is applied", () => {
    const at = 815 + 300;
    const changes = tables('hB').map((t) => ({ ...t, at }));
    const r = simulateFailover(vipFailover({ initial: tables('hA'), changes }));
    // the move at 1115 ms is seen at the 1120 ms step; the last reply before the failure was at -10
    for (const c of CLIENTS)
      expect(byHost(r)[c], c).toEqual({ okBefore: true, firstReplyMs: 1120, outageMs: 1130 });
  });

  it('master-binding with the controller down: the static entry keeps every client on the old owner (finding 1)', () => {
    const r = simulateFailover(vipFailover({ initial: tables('hA') }));
    for (const c of CLIENTS)
      expect(byHost(r)[c], c).toEqual({ okBefore: true, firstReplyMs: null, outageMs: null });
  });

  it("tunnel, VM loss of the owner behind the proxy: nobody resolved it before, every client takes the new owner's GARP", () => {
    const r = simulateFailover(
      vipFailover({ from: 'hB', to: 'hA', mode: 'vm-loss', vrrp: { takeoverMs: 3500, garpRepeatMs: 5000 } }),
    );
    expect(r.garpCopies).toBeGreaterThan(0);
    for (const c of CLIENTS)
      expect(byHost(r)[c], c).toEqual({ okBefore: false, firstReplyMs: 3500, outageMs: null });
  });
});
