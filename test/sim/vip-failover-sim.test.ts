import { describe, expect, it } from 'vitest';
import { simulateFailover } from '../../tools/sim/failover-sim.js';
import { VIP_CLIENTS as CLIENTS, vipTables as tables, VIP, vipFailover } from './bed.js';

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
