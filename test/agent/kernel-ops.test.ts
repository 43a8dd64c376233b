import { describe, expect, it } from 'vitest';
import { coalesceOps, type KernelOp, kernelCommandOf, planDeltaOps } from '../../agent/kernel-ops.js';
import { planSnapshotOps } from '../../agent/plan-snapshot-ops.js';
import { parseDeviceState } from '../../agent/read-device-state.js';

const argv = (op: KernelOp) => {
  const c = kernelCommandOf(op);
  return [c.program, ...c.args].join(' ');
};

describe('kernelCommandOf', () => {
  it('builds the iproute2 commands of dataplane.md, argument by argument', () => {
    expect(argv({ op: 'flood-append', dev: 'vx-100', vtep: '198.51.100.21' })).toBe(
      'bridge fdb append 00:00:00:00:00:00 dev vx-100 dst 198.51.100.21 self permanent',
    );
    expect(argv({ op: 'fdb-replace', dev: 'vx-100', mac: 'fa:16:3e:00:00:01', vtep: '198.51.100.21' })).toBe(
      'bridge fdb replace fa:16:3e:00:00:01 dev vx-100 dst 198.51.100.21 self permanent',
    );
    expect(argv({ op: 'neigh-replace', dev: 'vx-100', ip: '192.0.2.1', mac: 'fa:16:3e:00:00:01' })).toBe(
      'ip neigh replace 192.0.2.1 lladdr fa:16:3e:00:00:01 dev vx-100 nud permanent',
    );
    expect(argv({ op: 'fdb-del', dev: 'vx-100', mac: 'fa:16:3e:00:00:01', vtep: '198.51.100.21' })).toBe(
      'bridge fdb del fa:16:3e:00:00:01 dev vx-100 dst 198.51.100.21 self',
    );
    expect(argv({ op: 'flood-del', dev: 'vx-100', vtep: '198.51.100.21' })).toBe(
      'bridge fdb del 00:00:00:00:00:00 dev vx-100 dst 198.51.100.21 self',
    );
  });

  it('re-validates every value, even for operations built by hand', () => {
    expect(() => argv({ op: 'flood-append', dev: 'vx-100; reboot', vtep: '198.51.100.21' })).toThrow(
      /invalid_device_name/,
    );
    expect(() => argv({ op: 'flood-append', dev: 'vx-1234567890123', vtep: '198.51.100.21' })).toThrow(
      /invalid_device_name/,
    );
    expect(() =>
      argv({ op: 'fdb-replace', dev: 'vx-100', mac: '01:00:5e:00:00:01', vtep: '198.51.100.21' }),
    ).toThrow(/invalid_mac/);
    expect(() =>
      argv({ op: 'neigh-replace', dev: 'vx-100', ip: '-batch', mac: 'fa:16:3e:00:00:01' }),
    ).toThrow(/invalid_ip/);
  });
});

describe('planDeltaOps', () => {
  const moved = planDeltaOps('vx-100', true, [
    { kind: 'remove', entries: [{ vtep: '198.51.100.21', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' }] },
    { kind: 'add', entries: [{ vtep: '198.51.100.22', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' }] },
  ]);

  it('repoints a moved MAC with one FDB replace, never leaving it unknown, and leaves its unchanged ARP entry alone', () => {
    expect(moved.map(argv)).toEqual([
      'bridge fdb replace fa:16:3e:00:00:01 dev vx-100 dst 198.51.100.22 self permanent',
    ]);
  });

  it('rewrites the ARP entry of a moved MAC whose IP changes hands, and removes one that goes', () => {
    const entry = (vtep: string, mac: string, ip: string) => ({ vtep, mac, ip });
    const handedOver = planDeltaOps('vx-100', true, [
      { kind: 'remove', entries: [entry('198.51.100.21', 'fa:16:3e:00:00:01', '192.0.2.1')] },
      { kind: 'add', entries: [entry('198.51.100.22', 'fa:16:3e:00:00:02', '192.0.2.1')] },
    ]);
    expect(handedOver.map(argv)).toContain(
      'ip neigh replace 192.0.2.1 lladdr fa:16:3e:00:00:02 dev vx-100 nud permanent',
    );
    const gone = planDeltaOps('vx-100', true, [
      { kind: 'remove', entries: [entry('198.51.100.21', 'fa:16:3e:00:00:01', '192.0.2.1')] },
    ]);
    expect(gone.map(argv)).toContain('ip neigh del 192.0.2.1 lladdr fa:16:3e:00:00:01 dev vx-100');
    const added = planDeltaOps('vx-100', true, [
      { kind: 'add', entries: [entry('198.51.100.22', 'fa:16:3e:00:00:01', '192.0.2.1')] },
    ]);
    expect(added.map(argv)).toContain(
      'ip neigh replace 192.0.2.1 lladdr fa:16:3e:00:00:01 dev vx-100 nud permanent',
    );
    // chg_ip in between moves the IP to another MAC and back: the entry ends as it began
    const roundTrip = planDeltaOps('vx-100', true, [
      { kind: 'remove', entries: [entry('198.51.100.21', 'fa:16:3e:00:00:01', '192.0.2.1')] },
      {
        kind: 'chg_ip',
        before: [],
        after: [entry('198.51.100.23', 'fa:16:3e:00:00:03', '192.0.2.1')],
      },
      { kind: 'add', entries: [entry('198.51.100.22', 'fa:16:3e:00:00:01', '192.0.2.1')] },
    ]);
    expect(roundTrip.filter((o) => o.op.startsWith('neigh'))).toEqual([]);
  });

  it('on a bridged device, forgets what the bridge learned about a removed MAC, but not about a moved one', () => {
    const removed = planDeltaOps(
      'vx-100',
      true,
      [{ kind: 'remove', entries: [{ vtep: '198.51.100.21', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' }] }],
      true,
    );
    expect(removed.map(argv)).toContain('bridge fdb del fa:16:3e:00:00:01 dev vx-100 master');
    const movedBridged = planDeltaOps(
      'vx-100',
      true,
      [
        { kind: 'remove', entries: [{ vtep: '198.51.100.21', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' }] },
        { kind: 'add', entries: [{ vtep: '198.51.100.22', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' }] },
      ],
      true,
    );
    expect(movedBridged.map((o) => o.op)).toEqual(['fdb-replace']);
  });

  it('writes no ARP entries when the device does not proxy ARP', () => {
    const ops = planDeltaOps('vx-100', false, [
      { kind: 'add', entries: [{ vtep: '198.51.100.22', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' }] },
    ]);
    expect(ops.map((o) => o.op)).toEqual(['fdb-replace']);
  });
});

describe('coalesceOps', () => {
  it('keeps the end state: an append after a delete of the same flooding VTEP survives', () => {
    const a: KernelOp = { op: 'flood-append', dev: 'vx-1', vtep: '198.51.100.21' };
    const d: KernelOp = { op: 'flood-del', dev: 'vx-1', vtep: '198.51.100.21' };
    expect(coalesceOps([a, d, a])).toEqual([a, d, a]);
    expect(coalesceOps([a, a, d])).toEqual([a, d]);
  });
});

describe('planSnapshotOps', () => {
  const fdb = JSON.stringify([
    { mac: '66:0a:71:8d:3c:af', flags: [], master: 'br-100', state: 'permanent' },
    { mac: 'fa:16:3e:00:00:01', dst: '198.51.100.21', flags: ['self'], state: 'permanent' },
    { mac: 'fa:16:3e:00:00:42', dst: '198.51.100.23', flags: ['self'] },
    { mac: '00:00:00:00:00:00', dst: '198.51.100.21', flags: ['self'], state: 'permanent' },
    { mac: '00:00:00:00:00:00', dst: '198.51.100.99', flags: ['self'], state: 'permanent' },
  ]);
  const neigh = JSON.stringify([
    { dst: '192.0.2.1', lladdr: 'fa:16:3e:00:00:01', state: ['PERMANENT'] },
    { dst: '192.0.2.77', lladdr: 'fa:16:3e:00:00:77', state: ['STALE'] },
  ]);

  it('removes extras and repoints, leaving the bridge-owned and learned entries alone', () => {
    const ops = planSnapshotOps(
      'vx-100',
      true,
      [
        { vtep: '198.51.100.22', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
        { vtep: '198.51.100.21', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
        { vtep: '198.51.100.22', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' },
      ],
      parseDeviceState(fdb, neigh),
    );
    expect(ops.map(argv)).toEqual([
      'bridge fdb del 00:00:00:00:00:00 dev vx-100 dst 198.51.100.99 self',
      'bridge fdb append 00:00:00:00:00:00 dev vx-100 dst 198.51.100.22 self permanent',
      'bridge fdb replace fa:16:3e:00:00:01 dev vx-100 dst 198.51.100.22 self permanent',
    ]);
  });

  it('is empty when the kernel already holds the snapshot', () => {
    const state = parseDeviceState(fdb, neigh);
    const desired = [
      { vtep: '198.51.100.21', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
      { vtep: '198.51.100.99', mac: '00:00:00:00:00:00', ip: '0.0.0.0' },
      { vtep: '198.51.100.21', mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' },
    ];
    expect(planSnapshotOps('vx-100', true, desired, state)).toEqual([]);
  });
});
