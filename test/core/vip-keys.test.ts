import { describe, expect, it } from 'vitest';
import { computeStoredDesiredDigest } from '../../src/core/digest-change.js';
import {
  applyDigestWrite,
  computeDigestWrites,
  type DigestRecord,
  parseHostDigestRecord,
  parseNetworkDigestRecord,
} from '../../src/core/digest-record.js';
import {
  type EngineOutcome,
  type EngineReads,
  type NetworkChange,
  planChange,
  type RecordedNetwork,
} from '../../src/core/engine.js';
import type { Port } from '../../src/core/types.js';
import type { VipView } from '../../src/core/vip-view.js';

/**
 * The shared unicast entries of a network (src/core/vip-keys.ts) on one small case each way; the
 * property test (`test/core/engine.property.test.ts`) covers random histories.
 */
const NETWORK = { id: 'n1', name: 'n1', networkType: 'vxlan', segmentId: 5 };
const port: Port = {
  id: 'p1',
  networkId: 'n1',
  mac: 'fa:16:3e:00:00:01',
  ips: ['10.0.0.1'],
  deviceOwner: 'compute:nova',
  deviceId: 'vm1',
  host: 'h1',
  status: 'ACTIVE',
  dvrHosts: [],
  revision: 1,
};
/** What makes h2 present. */
const other: Port = {
  ...port,
  id: 'p2',
  mac: 'fa:16:3e:00:00:02',
  ips: ['10.0.0.2'],
  deviceId: 'vm2',
  host: 'h2',
};
/** A plain VIP: announced with its owner port's MAC, so its unicast entry is the port's. */
const vip: VipView = {
  ip: '10.0.0.100',
  host: 'h1',
  portId: 'p1',
  mac: port.mac,
  strategy: 'master-binding',
  hosting: ['h1'],
};
const recorded = (vipKeys: boolean): RecordedNetwork => ({
  network: NETWORK,
  version: 1,
  index: {
    counts: { h1: 1, h2: 1 },
    members: {
      h1: { tunnelIp: '192.0.2.1', haView: 'master-binding' },
      h2: { tunnelIp: '192.0.2.2', haView: 'master-binding' },
    },
  },
  strategies: {},
  routers: {},
  ...(vipKeys ? { vipKeys: { [`${port.mac}@h1`]: { ports: {}, vips: {} } } } : {}),
});

function run(from: RecordedNetwork, change: NetworkChange): EngineOutcome<RecordedNetwork> {
  let reads: EngineReads = {};
  for (let i = 0; i < 3; i++) {
    const step = planChange(from, change, reads);
    if (step.kind === 'done') return step.outcome;
    reads = { networkPorts: [port, other], networkVips: [vip] };
  }
  throw new Error('the engine kept asking');
}

/** The sum records a full recompute's commit leaves (it writes them whole). */
function records(outcome: EngineOutcome<RecordedNetwork>) {
  const sums = new Map<string | null, DigestRecord>();
  for (const w of computeDigestWrites(outcome.digest, outcome.state.version, false))
    sums.set(w.host, applyDigestWrite(sums.get(w.host), w));
  return sums;
}

describe('shared unicast entries', () => {
  it('a claim that does not say who holds a new key runs the full recompute, which counts the entry once', () => {
    const outcome = run(
      { ...recorded(true), vipKeys: {} },
      { kind: 'vips', vips: [{ before: null, after: vip }] },
    );
    expect(outcome.fallback).toBe('vips/vip-key-unknown');
    expect(outcome.state.vipKeys).toEqual({
      [`${port.mac}@h1`]: { ports: { all: 1 }, vips: { [vip.ip]: 'all' } },
    });
    const sums = records(outcome);
    const net = parseNetworkDigestRecord(sums.get(null) ?? {});
    expect(net.complete).toBe(true);
    const h2 = computeStoredDesiredDigest(net, parseHostDigestRecord(sums.get('h2') ?? {}), true);
    // h1's flooding entry, one unicast FDB entry (the port's MAC), two ARP entries
    expect(h2?.counts).toEqual({ flood: 1, unicast: 1, arp: 2 });
  });

  it('a claim that names its owner port plans incrementally: the entry joins the table, not the sums', () => {
    const outcome = run(
      { ...recorded(true), vipKeys: {} },
      { kind: 'vips', vips: [{ before: null, after: vip, ownerPort: port }] },
    );
    expect(outcome.fallback).toBeNull();
    expect(outcome.state.vipKeys).toEqual({
      [`${port.mac}@h1`]: { ports: { all: 1 }, vips: { [vip.ip]: 'all' } },
    });
    // the port's unicast entry moves from its contribution to the table: no net change but the ARP entry
    expect(outcome.digest.all.fdb.counts.unicast).toBe(0);
    expect(outcome.digest.all.arp.counts.arp).toBe(1);
    expect(outcome.digest.vipEntries).toBe(false);
  });

  it('a network whose state predates the table stays not comparable while it holds a VIP with entries', () => {
    const outcome = run(recorded(false), {
      kind: 'vips',
      vips: [{ before: null, after: vip, ownerPort: port }],
    });
    expect(outcome.state.vipKeys).toBeUndefined();
    expect(outcome.digest.vipEntries).toBe(true);
    const [net] = computeDigestWrites(outcome.digest, outcome.state.version, true);
    expect(parseNetworkDigestRecord(applyDigestWrite(undefined, net as never)).complete).toBe(false);
  });

  it('a state from before the table adopts an empty one when a member change finds no VIP', () => {
    const legacy = recorded(false);
    const change: NetworkChange = {
      kind: 'members',
      agents: new Map([
        [
          'h2',
          {
            host: 'h2',
            tunnelIp: '192.0.2.22',
            agentType: 'Open vSwitch agent',
            networkTypes: ['vxlan'],
            capabilities: { learning: false, arp: 'responder' },
            bootId: 'b1',
            revision: 2,
          },
        ],
      ]),
      restarted: new Set(),
    };
    const none = planChange(legacy, change, { networkPorts: [port, other], networkVips: [] });
    if (none.kind !== 'done') throw new Error('the member change asked for more');
    expect(none.outcome.state.vipKeys).toEqual({});
    expect(none.outcome.digest.vipEntries).toBe(false);
    // with a VIP (even a tunnel one, whose key a port may hold) it stays as it was
    const tunnel = planChange(legacy, change, {
      networkPorts: [port, other],
      networkVips: [{ ...vip, strategy: 'tunnel' }],
    });
    if (tunnel.kind !== 'done') throw new Error('the member change asked for more');
    expect(tunnel.outcome.state.vipKeys).toBeUndefined();
  });
});
