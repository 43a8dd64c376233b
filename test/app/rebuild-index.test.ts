import { describe, expect, it } from 'vitest';
import { heldKey } from '../../src/app/aap-index.js';
import {
  computeOverlapIndex,
  findOverlaps,
  INDEX_CHUNK_ITEMS,
  planIndexCommits,
} from '../../src/app/rebuild-index.js';
import { applyAgentCommand } from '../../src/core/agent-protocol.js';
import { computeAgentTable } from '../../src/core/desired.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { planDigestChunks, planRebuild } from '../../src/core/rebuild.js';
import type { Agent, Port } from '../../src/core/types.js';

/**
 * The rebuild's pure parts: the overlap indexes a network's ports imply, the commits that bring
 * the stored ones there (removals of held owners first, chunks under DynamoDB's 100 items), the
 * overlaps already there, and the recompute's commands against the fact oracle.
 */
const NET = 'n1';
const port = (id: string, ip: string, host: string, pairs: string[] = []): Port => ({
  id,
  networkId: NET,
  mac: `fa:16:3e:00:00:${id.padStart(2, '0').slice(-2)}`,
  ips: [ip],
  deviceOwner: 'compute:nova',
  deviceId: `vm-${id}`,
  host,
  status: 'ACTIVE',
  dvrHosts: [],
  revision: 1,
  ...(pairs.length
    ? { allowedAddressPairs: pairs.map((ipAddress) => ({ ipAddress, macAddress: 'fa:16:3e:00:00:99' })) }
    : {}),
});
const EMPTY = { held: new Map(), holders: new Map(), prefixes: [] };

describe('the overlap indexes a rebuild writes', () => {
  it('holds the bound ports’ fixed IPs, the bare pairs and the prefix pairs; unbound ports hold nothing', () => {
    const idx = computeOverlapIndex([
      port('a', '10.0.0.1', 'h1', ['10.0.0.50', '10.0.1.0/24']),
      port('b', '10.0.0.2', ''),
      port('c', '10.0.0.3', 'h2', ['10.0.0.50']),
    ]);
    expect([...idx.held]).toEqual([
      [heldKey('10.0.0.1'), 'a'],
      [heldKey('10.0.0.3'), 'c'],
    ]);
    expect([...(idx.holders.get('10.0.0.50') ?? [])]).toEqual(['a', 'c']);
    expect(idx.prefixes).toEqual([{ cidr: '10.0.1.0/24', portId: 'a' }]);
  });

  it('writes only what is missing or wrong, removing a stale held owner in an earlier commit', () => {
    const want = computeOverlapIndex([
      port('a', '10.0.0.1', 'h1', ['10.0.0.50']),
      port('c', '10.0.0.3', 'h2'),
    ]);
    const { commits, repair } = planIndexCommits(NET, want, {
      held: new Map([
        [heldKey('10.0.0.1'), 'a'],
        [heldKey('10.0.0.3'), 'gone'],
        [heldKey('10.0.0.9'), 'gone'],
      ]),
      holders: new Map([['10.0.0.60', ['gone']]]),
      prefixes: [{ cidr: '10.9.0.0/16', portId: 'gone' }],
    });
    expect(repair).toEqual({
      heldWritten: 1,
      heldRemoved: 2,
      holdersWritten: 1,
      holdersRemoved: 1,
      prefixesWritten: 0,
      prefixesRemoved: 1,
    });
    expect(commits[0]?.macs).toEqual([
      { networkId: NET, mac: heldKey('10.0.0.3'), owner: null },
      { networkId: NET, mac: heldKey('10.0.0.9'), owner: null },
    ]);
    expect(commits[1]?.macs).toEqual([{ networkId: NET, mac: heldKey('10.0.0.3'), owner: 'c' }]);
    expect(
      planIndexCommits(NET, want, { held: want.held, holders: new Map([['10.0.0.50', ['a']]]), prefixes: [] })
        .commits,
    ).toEqual([]);
  });

  it(`cuts a large network's writes into commits of at most ${INDEX_CHUNK_ITEMS} items`, () => {
    const ports = Array.from({ length: 250 }, (_, i) => port(`p${i}`, `10.1.${i >> 8}.${i & 255}`, 'h1'));
    const { commits } = planIndexCommits(NET, computeOverlapIndex(ports), EMPTY);
    expect(commits.map((c) => c.macs?.length)).toEqual([90, 90, 70]);
  });
});

describe('the overlaps a rebuild reports', () => {
  it('finds bare and prefix pairs covering another bound port’s fixed IP, not its own nor an unbound one', () => {
    const overlaps = findOverlaps([
      port('a', '10.0.0.1', 'h1'),
      port('b', '10.0.0.2', 'h2', ['10.0.0.1', '10.0.0.2']),
      port('c', '10.0.3.1', 'h2', ['10.0.0.0/30']),
      port('d', '10.0.0.3', ''),
    ]);
    expect(overlaps).toEqual([
      { aapPort: 'b', pair: '10.0.0.1', fixedPort: 'a', ip: '10.0.0.1' },
      { aapPort: 'c', pair: '10.0.0.0/30', fixedPort: 'a', ip: '10.0.0.1' },
      { aapPort: 'c', pair: '10.0.0.0/30', fixedPort: 'b', ip: '10.0.0.2' },
    ]);
  });
});

describe('the rebuild plan', () => {
  const agent = (host: string, i: number): Agent => ({
    host,
    tunnelIp: `192.0.2.${i + 1}`,
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: true, arp: 'responder' },
    bootId: 'b',
    revision: 1,
  });
  const network = { id: NET, name: NET, networkType: 'vxlan', segmentId: 9 };
  const hosts = Array.from({ length: 40 }, (_, i) => `h${i}`);
  const agents = new Map(hosts.map((h, i) => [h, agent(h, i)]));
  const ports = hosts.map((h, i) => port(`p${i}`, `10.2.0.${i + 1}`, h));
  const recorded = {
    network,
    version: 7,
    // a wrong record: members it should not have, none it should
    index: { counts: { old: 3 }, members: { old: { tunnelIp: '192.0.2.250', haView: 'tunnel' as const } } },
    strategies: {},
    routers: {},
  };

  it('asks for every present agent, then snapshots each the oracle’s table at the next version and tells the gone one to leave', () => {
    const input = { recorded, routers: {}, strategies: {}, formerMembers: ['legacy'] };
    const first = planRebuild(input, { networkPorts: ports, networkVips: [] });
    expect(first).toEqual({ kind: 'need', need: { agents: [...hosts].sort() } });
    const done = planRebuild(input, { networkPorts: ports, networkVips: [], agents });
    if (done.kind !== 'done') throw new Error('the rebuild asked again');
    const { outcome } = done;
    expect(outcome.state.version).toBe(8);
    expect(outcome.plan.left).toEqual(['legacy', 'old']);
    const facts = { network, agents, ports, routers: new Map(), flags: DEFAULT_FLAGS };
    for (const h of hosts) {
      const snap = outcome.commands.find((c) => c.host === h && c.command.kind === 'snapshot')?.command;
      if (snap?.kind !== 'snapshot') throw new Error(`no snapshot for ${h}`);
      expect(snap.version).toBe(8);
      expect(applyAgentCommand(undefined, snap).state?.table, h).toEqual(computeAgentTable(facts, h));
    }
    expect(outcome.commands.filter((c) => c.command.kind === 'leave').map((c) => c.host)).toEqual([
      'legacy',
      'old',
    ]);
    expect(Object.keys(outcome.state.index.members).sort()).toEqual([...hosts].sort());

    // 40 members and a host to clear: the sums do not fit one commit
    const sums = planDigestChunks(outcome.digest, 8);
    expect(sums.first).toEqual([
      expect.objectContaining({ host: null, mode: 'put', set: { v: 8, groups: {}, c: false } }),
    ]);
    // 40 members and `old` (a member that left: one write, though it is also cleared)
    expect(sums.chunks.map((c) => c.length)).toEqual([32, 9 + 1]);
    const hostsWritten = sums.chunks.flat().flatMap((w) => (w.host === null ? [] : [w.host]));
    expect(new Set(hostsWritten).size).toBe(hostsWritten.length);
    expect(sums.chunks[1]?.at(-1)).toMatchObject({ host: null, mode: 'put', set: { c: true, v: 8 } });
  });

  it('writes each host sum record once when they fit one commit, a member that left included', () => {
    const few = hosts.slice(0, 3);
    const input = { recorded, routers: {}, strategies: {} };
    const done = planRebuild(input, {
      networkPorts: ports.slice(0, 3),
      networkVips: [],
      agents: new Map(few.map((h) => [h, agents.get(h) ?? null])),
    });
    if (done.kind !== 'done') throw new Error('the rebuild asked again');
    const sums = planDigestChunks(done.outcome.digest, done.outcome.state.version);
    expect(sums.chunks).toEqual([]);
    expect(sums.first.map((w) => w.host)).toEqual([null, ...few, 'old']);
    expect(sums.first[0]).toMatchObject({ mode: 'put', set: { c: true } });
  });
});
