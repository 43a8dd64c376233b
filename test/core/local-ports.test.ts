import { describe, expect, it } from 'vitest';
import { agentCommandSchema } from '../../src/contracts/commands.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { planChange, type RecordedNetwork } from '../../src/core/engine.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { planLocalPortChanges } from '../../src/core/local-ports.js';
import type { Port } from '../../src/core/types.js';
import { anAgent, aPort, NETWORK } from '../support/fact-fixtures.js';

const PAIR = { ipAddress: '10.0.0.100', macAddress: '00:00:5e:00:01:01' };
const withPair = aPort({ allowedAddressPairs: [PAIR] });
const record = (p: Port) => ({
  id: p.id,
  mac: p.mac,
  ips: [...p.ips],
  allowedAddressPairs: [...(p.allowedAddressPairs ?? [])],
});

describe('planLocalPortChanges', () => {
  it.each<[string, Port | undefined, Port | undefined, Record<string, unknown>]>([
    [
      'a new port: its host takes the record',
      undefined,
      withPair,
      { h1: { upsert: [record(withPair)], remove: [] } },
    ],
    [
      'a pairs-only change: the record again',
      aPort(),
      { ...withPair, revision: 2 },
      { h1: { upsert: [record(withPair)], remove: [] } },
    ],
    ['a re-save (revision only): nothing', withPair, { ...withPair, revision: 2 }, {}],
    [
      'a migration: a removal at the old host, the record at the new',
      withPair,
      { ...withPair, host: 'h2', revision: 2 },
      { h1: { upsert: [], remove: ['p1'] }, h2: { upsert: [record(withPair)], remove: [] } },
    ],
    [
      'an unbind: a removal',
      withPair,
      { ...withPair, host: '', revision: 2 },
      { h1: { upsert: [], remove: ['p1'] } },
    ],
    ['a delete: a removal', withPair, undefined, { h1: { upsert: [], remove: ['p1'] } }],
    [
      'ACTIVE to DOWN: a removal',
      withPair,
      { ...withPair, status: 'DOWN' },
      { h1: { upsert: [], remove: ['p1'] } },
    ],
    [
      'a DOWN port changing its IPs: nothing',
      aPort({ status: 'DOWN' }),
      aPort({ status: 'DOWN', ips: ['10.0.0.12'] }),
      {},
    ],
    [
      "an HA router's interface rebound to another host: nothing",
      aPort({ deviceOwner: 'network:ha_router_replicated_interface', deviceId: 'r1' }),
      aPort({ deviceOwner: 'network:ha_router_replicated_interface', deviceId: 'r1', host: 'h2' }),
      {},
    ],
  ])('%s', (_, before, after, expected) => {
    expect(Object.fromEntries(planLocalPortChanges([{ before, after }]))).toEqual(expected);
  });
});

describe('the engine and local ports', () => {
  const agents = new Map(
    ['h1', 'h2', 'h3'].map((h, i) => [h, anAgent({ host: h, tunnelIp: `192.0.2.${i + 1}` })]),
  );
  const others = ['h2', 'h3'].map((h, i) =>
    aPort({ id: `base-${h}`, mac: `fa:16:3e:00:01:0${i}`, ips: [`10.0.1.${i}`], host: h }),
  );
  const recordedOf = (ports: readonly Port[], version: number): RecordedNetwork => ({
    network: NETWORK,
    version,
    index: computeDesiredNetwork({
      network: NETWORK,
      agents,
      ports,
      routers: new Map(),
      flags: DEFAULT_FLAGS,
    }).index,
    strategies: {},
    routers: {},
  });

  it("steps the version for a pairs-only change: the port's host gets the record, every other member the empty step", () => {
    const before = aPort();
    const recorded = recordedOf([before, ...others], 7);
    const step = planChange(recorded, {
      kind: 'ports',
      ports: [{ before, after: { ...withPair, revision: 2 } }],
    });
    const resave = planChange(recorded, {
      kind: 'ports',
      ports: [{ before, after: { ...before, revision: 2 } }],
    });
    if (step.kind !== 'done' || resave.kind !== 'done') throw new Error('the engine asked for reads');
    const { outcome } = step;
    expect(outcome.state.version).toBe(8);
    expect(outcome.state.index).toEqual(recorded.index);
    // no table moved, and the drift-audit digest moves as for a re-save: local ports are not entries
    expect(outcome.digest).toEqual(resave.outcome.digest);
    // a re-save changes nothing and commits no version
    expect(resave.outcome.commands).toEqual([]);
    expect(resave.outcome.state.version).toBe(7);
    expect(outcome.commands.map(({ host, command }) => [host, command])).toEqual([
      [
        'h1',
        {
          v: 1,
          kind: 'delta',
          networkId: NETWORK.id,
          version: 8,
          base: 7,
          segment: { networkType: 'vxlan', segmentId: 1001 },
          payloads: [],
          localPorts: { upsert: [record(withPair)], remove: [] },
        },
      ],
      ['h2', expect.objectContaining({ kind: 'delta', version: 8, payloads: [] })],
      ['h3', expect.objectContaining({ kind: 'delta', version: 8, payloads: [] })],
    ]);
    for (const { host, command } of outcome.commands) {
      if (host !== 'h1') expect(command).not.toHaveProperty('localPorts');
      expect(agentCommandSchema.safeParse(JSON.parse(JSON.stringify(command))).success).toBe(true);
    }
  });

  it("gives a resync's snapshot the host's whole list, and sends a larger change than one part's worth as a snapshot", () => {
    const mine = Array.from({ length: 700 }, (_, i) =>
      aPort({
        id: `vm-${String(i).padStart(3, '0')}`,
        mac: `fa:16:3e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
        ips: [`10.1.${i >> 8}.${i & 255}`],
        allowedAddressPairs: [PAIR],
      }),
    );
    const ports = [...mine, ...others];
    const recorded = recordedOf(ports, 3);
    const resync = planChange(recorded, { kind: 'snapshot', host: 'h1' }, { networkPorts: ports });
    if (resync.kind !== 'done') throw new Error('the engine asked for reads');
    const listed = resync.outcome.commands.flatMap(({ command }) =>
      command.kind === 'snapshot' ? (command.localPorts ?? []) : [],
    );
    expect(listed).toEqual(mine.map(record));
    // 700 new records of weight 5 (3,500) are more than one part's worth (3,000): a snapshot
    const grown = mine.map((p) => ({
      ...p,
      allowedAddressPairs: [PAIR, { ...PAIR, ipAddress: '10.0.0.101' }],
    }));
    const change = { kind: 'ports' as const, ports: mine.map((p, i) => ({ before: p, after: grown[i] })) };
    const first = planChange(recorded, change);
    expect(first).toEqual({ kind: 'need', need: { networkPorts: true } });
    const planned = planChange(recorded, change, { networkPorts: [...grown, ...others] });
    if (planned.kind !== 'done') throw new Error('the engine asked for reads');
    const toH1 = planned.outcome.commands.filter((c) => c.host === 'h1').map((c) => c.command);
    expect(toH1.map((c) => c.kind)).toEqual(['snapshot', 'snapshot']);
    expect(toH1.flatMap((c) => (c.kind === 'snapshot' ? (c.localPorts ?? []) : []))).toEqual(
      grown.map(record),
    );
  });
});
