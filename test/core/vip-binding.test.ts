import { describe, expect, it } from 'vitest';
import type { Port } from '../../src/core/types.js';
import type { VipClaim } from '../../src/core/vip.js';
import {
  newlyHeldIps,
  unbindVip,
  vipClaimStands,
  vipsAtRisk,
  withdrawHeldVip,
} from '../../src/core/vip-binding.js';
import { type VipRecord, viewOfVip } from '../../src/core/vip-view.js';

/** The rule of docs/vip.md, "A binding is tied to its port", as table tests. */
const VIP = '10.0.0.100';
const VMAC = '00:00:5e:00:01:07';
const port: Port = {
  id: 'pa',
  networkId: 'n1',
  mac: 'fa:16:3e:00:00:0a',
  ips: ['10.0.0.11'],
  deviceOwner: 'compute:nova',
  deviceId: 'vm-a',
  host: 'h1',
  status: 'ACTIVE',
  dvrHosts: [],
  revision: 1,
  allowedAddressPairs: [{ ipAddress: VIP, macAddress: VMAC }],
};
const claim: VipClaim = {
  networkId: 'n1',
  ip: VIP,
  host: 'h1',
  portId: 'pa',
  mac: VMAC,
  kind: 'garp',
  at: 5,
  seq: 1,
};
const other: VipClaim = { ...claim, host: 'h2', portId: 'pb', mac: 'fa:16:3e:00:00:0b', at: 3 };
const record: VipRecord = {
  networkId: 'n1',
  ip: VIP,
  state: { owner: claim, newest: claim, moves: [3, 5], frozen: { at: 5, lastAttempt: 5 } },
  strategy: 'master-binding',
  holders: { pa: 'h1', pb: 'h2' },
  version: 4,
};

describe('a binding is tied to its port', () => {
  it.each<[string, Port | undefined, boolean]>([
    ['the port as it was', port, true],
    ['a new fixed IP and status', { ...port, ips: ['10.0.0.21'], status: 'DOWN' }, true],
    [
      'a prefix pair covering it with the same MAC',
      { ...port, allowedAddressPairs: [{ ipAddress: '10.0.0.96/28', macAddress: VMAC }] },
      true,
    ],
    ['deleted', undefined, false],
    ['unbound', { ...port, host: '' }, false],
    ['rebound to another host', { ...port, host: 'h3' }, false],
    ['without the pair', { ...port, allowedAddressPairs: [] }, false],
    [
      'with a pair of another MAC',
      { ...port, allowedAddressPairs: [{ ipAddress: VIP, macAddress: port.mac }] },
      false,
    ],
    ['with the VIP as a fixed IP', { ...port, ips: ['10.0.0.11', VIP] }, false],
  ])('the owner’s claim against %s: stands = %s', (_what, p, stands) => {
    expect(vipClaimStands(p, claim)).toBe(stands);
    const after = unbindVip(record, 'pa', p);
    if (stands) expect(after).toBeNull();
    else {
      // no owner, no binding; moves afresh, unfrozen; the newest claim kept (late claims stay stale)
      expect(after?.state).toEqual({ owner: null, newest: claim, moves: [], frozen: null });
      expect(after?.version).toBe(5);
      expect(viewOfVip(after as VipRecord)).toBeNull();
    }
  });

  it('keeps a holder that may still announce with its own MAC (the claim’s virtual MAC gone)', () => {
    const after = unbindVip(record, 'pa', {
      ...port,
      allowedAddressPairs: [{ ipAddress: VIP, macAddress: port.mac }],
    });
    expect(after?.holders).toEqual({ pa: 'h1', pb: 'h2' });
    expect(after?.state.owner).toBeNull();
  });

  it('a holder that is not the owner leaves the holders only', () => {
    const held = { ...record, state: { ...record.state, owner: other, newest: other } };
    const after = unbindVip(held, 'pa', undefined);
    expect(after?.holders).toEqual({ pb: 'h2' });
    expect(after?.state.owner).toEqual(other);
    expect(unbindVip(held, 'pc', undefined)).toBeNull();
  });

  it('names the addresses at risk: lost bare pairs and new fixed IPs a pair covered; a prefix only when it may lose', () => {
    const prefixPort = { ...port, allowedAddressPairs: [{ ipAddress: '10.0.0.96/28', macAddress: VMAC }] };
    expect(vipsAtRisk(port, port)).toEqual({ addresses: [], prefixes: false });
    expect(vipsAtRisk(port, undefined)).toEqual({ addresses: [VIP], prefixes: false });
    expect(vipsAtRisk(port, { ...port, host: 'h2' })).toEqual({ addresses: [VIP], prefixes: false });
    expect(vipsAtRisk(undefined, port)).toEqual({ addresses: [], prefixes: false });
    expect(vipsAtRisk(prefixPort, { ...prefixPort, ips: ['10.0.0.11', '10.0.0.101'] })).toEqual({
      addresses: ['10.0.0.101'],
      prefixes: false,
    });
    expect(vipsAtRisk(prefixPort, { ...prefixPort, status: 'DOWN' })).toEqual({
      addresses: [],
      prefixes: false,
    });
    expect(vipsAtRisk(prefixPort, undefined)).toEqual({ addresses: [], prefixes: true });
  });
});

describe('a port taking a VIP’s address as a held fixed IP (docs/vip.md, "Overlap with another port’s fixed IP")', () => {
  const pc: Port = {
    ...port,
    id: 'pc',
    mac: 'fa:16:3e:00:00:0c',
    ips: ['10.0.0.13'],
    allowedAddressPairs: [],
  };
  it('names the fixed IPs a change makes held: new bound ports, IPs added, a bind', () => {
    expect(newlyHeldIps(undefined, { ...pc, ips: [VIP, '10.0.0.13'] })).toEqual(['10.0.0.100', '10.0.0.13']);
    expect(newlyHeldIps(pc, { ...pc, ips: ['10.0.0.13', VIP] })).toEqual([VIP]);
    expect(newlyHeldIps({ ...pc, host: '' }, pc)).toEqual(['10.0.0.13']);
    expect(newlyHeldIps(undefined, { ...pc, host: '', ips: [VIP] })).toEqual([]);
    expect(newlyHeldIps(pc, { ...pc, host: 'h3' })).toEqual([]);
    expect(newlyHeldIps({ ...pc, host: '' }, { ...pc, host: '', dvrHosts: ['h1'] })).toEqual(['10.0.0.13']);
  });

  it('withdraws another port’s binding and every other holder; nothing to do leaves the record', () => {
    const out = withdrawHeldVip(record, 'pc');
    expect(out?.state.owner).toBeNull();
    expect(out?.state.frozen).toBeNull();
    expect(out?.state.moves).toEqual([]);
    expect(out?.state.newest).toEqual(claim);
    expect(out?.holders).toEqual({});
    expect(out?.version).toBe(5);
    expect(out ? viewOfVip(out) : 'none').toBeNull();
    const released = { ...record, state: { ...record.state, owner: null }, holders: {} };
    expect(withdrawHeldVip(released, 'pc')).toBeNull();
    // the owner taking its own VIP as a fixed IP is "A binding is tied to its port"'s case (unbindVip)
    expect(withdrawHeldVip({ ...record, holders: { pa: 'h1' } }, 'pa')).toBeNull();
  });
});
