import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { FactStore, NetworkState, PendingOutboxes } from '../../src/app/ports.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { anAgent, anOutbox, aPort, aRouter, aState, commitOf, NETWORK } from '../support/fact-fixtures.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * The FactStore contract, run against the in-memory fake and the DynamoDB adapter on DynamoDB
 * Local with the same assertions, so the fake the use-case tests rely on cannot drift (style.md §10).
 */
let stack: TestStack;
let n = 0;
beforeAll(async () => {
  stack = await createTestStack('contract');
});
afterAll(() => stack?.destroy());

type Clock = () => number;
/**
 * A state with its counts reduced to presence: a store may read a present host's count back as
 * unread (`UNKNOWN_COUNT`, src/core/desired.ts; DynamoDB keeps counts in the presence items and
 * does not read them in the steady state).
 */
function presenceOnly(s: NetworkState | undefined) {
  if (!s) return s;
  const counts = Object.fromEntries(Object.keys(s.index.counts).map((h) => [h, true]));
  return { ...s, index: { ...s.index, counts } };
}

const factories: [string, (now?: Clock) => FactStore & PendingOutboxes][] = [
  ['memory', (now) => createMemoryStore(now ? { now } : {})],
  // One table; every store instance gets its own id space through a distinct network/host prefix.
  [
    'dynamodb',
    (now) =>
      createDynamoFactStore({
        client: stack.clients.doc,
        tableName: stack.tableName,
        ...(now ? { now } : {}),
      }),
  ],
];

describe.each(factories)('FactStore contract: %s', (_name, make) => {
  const fresh = (now?: Clock) => {
    n++;
    const store = make(now);
    const net = { ...NETWORK, id: `net-${n}` };
    return { store, net, id: (s: string) => `${s}-${n}` };
  };

  it('returns nothing for unknown keys and the default flags at revision 0', async () => {
    const { store, id } = fresh();
    expect(await store.getNetworkState(id('nope'))).toBeUndefined();
    expect(await store.getPort(id('nope'))).toBeUndefined();
    expect(await store.getRouter(id('nope'))).toBeUndefined();
    expect(await store.getAgent(id('nope'))).toBeUndefined();
    expect(await store.getMacOwner(id('nope'), 'fa:16:3e:00:00:01')).toBeUndefined();
    expect(await store.listNetworkPorts(id('nope'))).toEqual([]);
    expect(await store.listOutbox(id('nope'))).toEqual([]);
    expect(await store.getFlags()).toEqual({ flags: DEFAULT_FLAGS, revision: 0 });
  });

  it('guards a port on its revision and keeps a deleted port as a tombstone', async () => {
    const { store, net, id } = fresh();
    const p = aPort({ id: id('p'), networkId: net.id, deviceId: id('vm') });
    expect(await store.commit(commitOf({ ports: [{ value: p, expected: null }] }))).toBe('committed');
    expect(await store.commit(commitOf({ ports: [{ value: p, expected: null }] }))).toBe('conflict');
    expect(await store.getPort(p.id, net.id)).toEqual(p);
    expect(await store.getPort(p.id)).toEqual(p);
    expect(await store.getPort(p.id, 'some-other-network')).toEqual(p);
    const p2 = { ...p, revision: 2, ips: ['10.0.0.12'] };
    expect(await store.commit(commitOf({ ports: [{ value: p2, expected: 5 }] }))).toBe('conflict');
    expect(await store.commit(commitOf({ ports: [{ value: p2, expected: 1, previous: p }] }))).toBe(
      'committed',
    );
    expect(await store.listNetworkPorts(net.id)).toEqual([p2]);
    const gone = { id: p.id, networkId: net.id, revision: 3, deleted: true as const };
    expect(await store.commit(commitOf({ ports: [{ value: gone, expected: 2, previous: p2 }] }))).toBe(
      'committed',
    );
    expect(await store.getPort(p.id, net.id)).toEqual(gone);
    expect(await store.listNetworkPorts(net.id)).toEqual([]);
  });

  it('never moves a port to another network: a record guarded there is a conflict', async () => {
    const { store, net, id } = fresh();
    const p = aPort({ id: id('p'), networkId: net.id, deviceId: id('vm') });
    await store.commit(commitOf({ ports: [{ value: p, expected: null }] }));
    const elsewhere = { id: p.id, networkId: `${net.id}-b`, revision: 2, deleted: true as const };
    expect(await store.commit(commitOf({ ports: [{ value: elsewhere, expected: 1, previous: p }] }))).toBe(
      'conflict',
    );
    expect(
      await store.commit(
        commitOf({
          ports: [{ value: { ...p, networkId: `${net.id}-b`, revision: 2 }, expected: 1, previous: p }],
        }),
      ),
    ).toBe('conflict');
    expect(await store.getPort(p.id)).toEqual(p);
  });

  it("rejects port.delete and port.upsert naming a known network other than the port's (network_change)", async () => {
    const { store, id } = fresh();
    const deps = { store, publisher: { publish: async () => {} }, maxAttempts: 3 };
    const a = { id: id('na'), networkType: 'vxlan' as const, segmentId: 4100 + n };
    const b = { id: id('nb'), networkType: 'vxlan' as const, segmentId: 5100 + n };
    const port = (networkId: string, pid: string, mac: string, revision: number) => ({
      id: pid,
      networkId,
      mac,
      ips: ['10.0.0.5'],
      deviceOwner: 'compute:nova',
      deviceId: id('vm'),
      host: 'h1',
      status: 'ACTIVE' as const,
      dvrHosts: [],
      revision,
    });
    await dispatchEvent(deps, {
      type: 'port.upsert',
      v: 1,
      network: a,
      port: port(a.id, id('pa'), 'fa:16:3e:00:0a:01', 1),
    });
    await dispatchEvent(deps, {
      type: 'port.upsert',
      v: 1,
      network: b,
      port: port(b.id, id('pb'), 'fa:16:3e:00:0b:01', 1),
    });
    const before = [await store.listNetworkPorts(a.id), await store.listNetworkPorts(b.id)];
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'applied',
        (err: unknown) =>
          err instanceof InvalidInputError ? err.code : `transient: ${(err as Error).message}`,
      );
    expect(
      await code(
        dispatchEvent(deps, { type: 'port.delete', v: 1, portId: id('pa'), networkId: b.id, revision: 2 }),
      ),
    ).toBe('network_change');
    expect(
      await code(
        dispatchEvent(deps, {
          type: 'port.upsert',
          v: 1,
          network: b,
          port: port(b.id, id('pa'), 'fa:16:3e:00:0a:01', 2),
        }),
      ),
    ).toBe('network_change');
    expect([await store.listNetworkPorts(a.id), await store.listNetworkPorts(b.id)]).toEqual(before);
  });

  it('keeps a tunnel IP to one host: the holder wins until it reports another address or none', async () => {
    const { store, id } = fresh();
    const deps = { store, publisher: { publish: async () => {} }, maxAttempts: 3 };
    const ip = `198.19.${n % 250}.1`;
    const report = (host: string, tunnelIp: string | null, revision: number) =>
      dispatchEvent(deps, {
        ...{ type: 'agent.report', v: 1, host, tunnelIp, agentType: 'x', networkTypes: ['vxlan'] },
        ...{ capabilities: { learning: true, arp: 'off' }, bootId: 'b', revision },
      } as const).then(
        () => 'applied',
        (err: unknown) =>
          err instanceof InvalidInputError ? err.code : `transient: ${(err as Error).message}`,
      );
    expect(await report(id('a'), ip, 1)).toBe('applied');
    expect(await report(id('b'), ip, 1)).toBe('tunnel_ip_in_use');
    expect((await store.getAgent(id('b')))?.tunnelIp).toBeUndefined();
    expect(await report(id('a'), ip, 2)).toBe('applied');
    expect(await report(id('a'), null, 3)).toBe('applied');
    expect(await report(id('b'), ip, 2)).toBe('applied');
    expect(await report(id('a'), ip, 4)).toBe('tunnel_ip_in_use');
  });

  it("keeps every tunnel endpoint of the overlay's IP version (Neutron's overlay_ip_version)", async () => {
    const { store, id } = fresh();
    const report = (
      overlayIpVersion: 4 | 6 | undefined,
      host: string,
      tunnelIp: string | null,
      revision: number,
    ) =>
      dispatchEvent(
        {
          store,
          publisher: { publish: async () => {} },
          maxAttempts: 3,
          ...(overlayIpVersion ? { overlayIpVersion } : {}),
        },
        {
          ...{ type: 'agent.report', v: 1, host, tunnelIp, agentType: 'x', networkTypes: ['vxlan'] },
          ...{ capabilities: { learning: true, arp: 'off' }, bootId: 'b', revision },
        } as const,
      ).then(
        () => 'applied',
        (err: unknown) =>
          err instanceof InvalidInputError ? err.code : `transient: ${(err as Error).message}`,
      );
    const v6 = `2001:db8:${(n % 250).toString(16)}::1`;
    // The default overlay is IPv4, as Neutron's: an IPv6 endpoint is refused and nothing is recorded.
    expect(await report(undefined, id('a'), v6, 1)).toBe('tunnel_ip_version');
    expect(await store.getAgent(id('a'))).toBeUndefined();
    expect(await report(4, id('a'), '::ffff:c613:101', 1)).toBe('tunnel_ip_version');
    expect(await report(undefined, id('a'), null, 1)).toBe('applied');
    // An IPv6 overlay takes it and refuses IPv4; the refused report leaves the recorded one alone.
    expect(await report(6, id('a'), v6, 2)).toBe('applied');
    expect(await report(6, id('a'), `198.19.${n % 250}.2`, 3)).toBe('tunnel_ip_version');
    expect(await store.getAgent(id('a'))).toMatchObject({ tunnelIp: v6, revision: 2 });
  });

  it('lists the live ports of a router, following device changes and deletes', async () => {
    const { store, net, id } = fresh();
    const r = id('r');
    const a = aPort({
      id: id('a'),
      networkId: net.id,
      deviceOwner: 'network:ha_router_replicated_interface',
      deviceId: r,
    });
    const b = aPort({
      id: id('b'),
      networkId: net.id,
      mac: 'fa:16:3e:00:00:02',
      deviceOwner: 'network:router_gateway',
      deviceId: r,
    });
    await store.commit(
      commitOf({
        ports: [
          { value: a, expected: null },
          { value: b, expected: null },
        ],
      }),
    );
    const sorted = async () => (await store.listRouterPorts(r)).sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(await sorted()).toEqual([a, b]);
    const a2 = { ...a, host: 'h2', revision: 2 };
    await store.commit(commitOf({ ports: [{ value: a2, expected: 1 }] }));
    expect(await sorted()).toEqual([a2, b]);
    const b2 = { ...b, deviceId: id('other'), revision: 2 };
    await store.commit(commitOf({ ports: [{ value: b2, expected: 1, previous: b }] }));
    expect(await sorted()).toEqual([a2]);
    await store.commit(
      commitOf({
        ports: [{ value: { id: a.id, networkId: net.id, revision: 3, deleted: true }, expected: 2 }],
      }),
    );
    expect(await store.listRouterPorts(r)).toEqual([]);
  });

  it('keeps a MAC with one owner until it is released', async () => {
    const { store, net } = fresh();
    const mac = 'fa:16:3e:aa:bb:cc';
    expect(await store.commit(commitOf({ macs: [{ networkId: net.id, mac, owner: 'p1' }] }))).toBe(
      'committed',
    );
    expect(await store.commit(commitOf({ macs: [{ networkId: net.id, mac, owner: 'p1' }] }))).toBe(
      'committed',
    );
    expect(await store.commit(commitOf({ macs: [{ networkId: net.id, mac, owner: 'p2' }] }))).toBe(
      'conflict',
    );
    expect(await store.getMacOwner(net.id, mac)).toBe('p1');
    await store.commit(commitOf({ macs: [{ networkId: net.id, mac, owner: null }] }));
    expect(await store.getMacOwner(net.id, mac)).toBeUndefined();
    expect(await store.commit(commitOf({ macs: [{ networkId: net.id, mac, owner: 'p2' }] }))).toBe(
      'committed',
    );
  });

  it('finds the first owner item in a key range, skipping excluded owners, in key order', async () => {
    const { store, net } = fresh();
    const own = (mac: string, owner: string | null) => ({ networkId: net.id, mac, owner });
    const keys = ['heldx:4:0a000001', 'heldx:4:0a000002', 'heldx:4:0a000003', 'heldx:4:0a0000ff'];
    expect(
      await store.commit(
        commitOf({
          macs: [
            own(keys[0] as string, 'p1'),
            own(keys[1] as string, 'p1'),
            own(keys[2] as string, 'p2'),
            own(keys[3] as string, 'p3'),
            own('heldx:6:fd000000000000000000000000000001', 'p4'),
            own('fa:16:3e:00:00:01', 'p9'),
          ],
        }),
      ),
    ).toBe('committed');
    const between = (from: string, to: string, excluding: string[] = []) =>
      store.firstOwnerBetween(net.id, from, to, excluding);
    expect(await between('heldx:4:0a000000', 'heldx:4:0a0000ff')).toEqual({ key: keys[0], owner: 'p1' });
    expect(await between('heldx:4:0a000000', 'heldx:4:0a0000ff', ['p1'])).toEqual({
      key: keys[2],
      owner: 'p2',
    });
    expect(await between('heldx:4:0a000000', 'heldx:4:0a0000ff', ['p1', 'p2'])).toEqual({
      key: keys[3],
      owner: 'p3',
    });
    expect(await between('heldx:4:0a000000', 'heldx:4:0a0000fe', ['p1', 'p2'])).toBeUndefined();
    expect(await between('heldx:4:00000000', 'heldx:4:ffffffff', ['p1', 'p2', 'p3'])).toBeUndefined();
    expect(
      await between('heldx:6:00000000000000000000000000000000', 'heldx:6:ffffffffffffffffffffffffffffffff'),
    ).toEqual({
      key: 'heldx:6:fd000000000000000000000000000001',
      owner: 'p4',
    });
    await store.commit(commitOf({ macs: [own(keys[3] as string, null)] }));
    expect(await between('heldx:4:0a000000', 'heldx:4:0a0000ff', ['p1', 'p2'])).toBeUndefined();
  });

  it('keeps a network’s prefix-pair list: several ports per prefix, set and removed without a read', async () => {
    const { store, net } = fresh();
    const w = (cidr: string, portId: string, holds: boolean) => ({ networkId: net.id, cidr, portId, holds });
    const list = async () => (await store.readMany({ prefixPairs: [net.id] })).prefixPairs?.get(net.id);
    expect(await list()).toEqual([]);
    expect(
      await store.commit(
        commitOf({
          prefixPairs: [w('10.0.0.0/24', 'p1', true), w('10.0.0.0/24', 'p2', true), w('::/0', 'p1', true)],
        }),
      ),
    ).toBe('committed');
    expect(await list()).toEqual([
      { cidr: '10.0.0.0/24', portId: 'p1' },
      { cidr: '10.0.0.0/24', portId: 'p2' },
      { cidr: '::/0', portId: 'p1' },
    ]);
    await store.commit(
      commitOf({ prefixPairs: [w('10.0.0.0/24', 'p1', false), w('fd00::/64', 'p3', true)] }),
    );
    expect(await list()).toEqual([
      { cidr: '10.0.0.0/24', portId: 'p2' },
      { cidr: '::/0', portId: 'p1' },
      { cidr: 'fd00::/64', portId: 'p3' },
    ]);
    await store.commit(
      commitOf({
        prefixPairs: [w('10.0.0.0/24', 'p2', false), w('::/0', 'p1', false), w('fd00::/64', 'p3', false)],
      }),
    );
    expect(await list()).toEqual([]);
    expect((await store.readMany({})).prefixPairs).toBeUndefined();
  });

  it('guards routers on version, agents on revision and flags on revision', async () => {
    const { store, id } = fresh();
    const r = aRouter({ id: id('r') });
    expect(await store.commit(commitOf({ routers: [{ value: r, expected: null }] }))).toBe('committed');
    expect(await store.commit(commitOf({ routers: [{ value: { ...r, version: 2 }, expected: 0 }] }))).toBe(
      'conflict',
    );
    expect(await store.commit(commitOf({ routers: [{ value: { ...r, version: 2 }, expected: 1 }] }))).toBe(
      'committed',
    );
    expect(await store.getRouter(r.id)).toEqual({ ...r, version: 2 });
    const a = anAgent({ host: id('h') });
    expect(await store.commit(commitOf({ agents: [{ value: a, expected: null }] }))).toBe('committed');
    expect(await store.commit(commitOf({ agents: [{ value: { ...a, revision: 2 }, expected: 7 }] }))).toBe(
      'conflict',
    );
    expect(await store.getAgent(a.host)).toEqual(a);
  });

  it('guards a network on its write counter and indexes its hosts and HA routers', async () => {
    const { store, net, id } = fresh();
    const [h1, h2] = [id('h1'), id('h2')];
    const m = { tunnelIp: '192.0.2.1', haView: 'tunnel' as const };
    const s1 = aState({ network: net, seq: 1, index: { counts: { [h1]: 1 }, members: { [h1]: m } } });
    expect(await store.commit(commitOf({ networks: [{ value: s1, expected: null }] }))).toBe('committed');
    expect(presenceOnly(await store.getNetworkState(net.id))).toEqual(presenceOnly(s1));
    expect(await store.listHostNetworks(h1)).toEqual([net.id]);
    const s2 = {
      ...s1,
      seq: 2,
      index: { counts: { [h2]: 2 }, members: {} },
      strategies: { [id('r')]: 'auto' as const },
    };
    expect(await store.commit(commitOf({ networks: [{ value: s2, expected: 0 }] }))).toBe('conflict');
    expect(await store.commit(commitOf({ networks: [{ value: s2, expected: 1, previous: s1 }] }))).toBe(
      'committed',
    );
    expect(await store.listHostNetworks(h1)).toEqual([]);
    expect(await store.listHostNetworks(h2)).toEqual([net.id]);
    expect(await store.listHaNetworks()).toContain(net.id);
    const s3 = { ...s2, seq: 3, index: { counts: {}, members: {} } };
    expect(await store.commit(commitOf({ networks: [{ value: s3, expected: 2 }] }))).toBe('committed');
    expect(await store.listHostNetworks(h2)).toEqual([]);
  });

  it('fails a whole commit when one check or guard fails, writing nothing', async () => {
    const { store, net, id } = fresh();
    const a = anAgent({ host: id('h') });
    await store.commit(commitOf({ agents: [{ value: a, expected: null }] }));
    const p = aPort({ id: id('p'), networkId: net.id });
    const stale = commitOf({
      ports: [{ value: p, expected: null }],
      checks: [{ kind: 'agent', host: a.host, revision: 0 }],
    });
    expect(await store.commit(stale)).toBe('conflict');
    expect(await store.getPort(p.id, net.id)).toBeUndefined();
    const checks = [
      { kind: 'agent' as const, host: a.host, revision: 1 },
      { kind: 'agent' as const, host: id('absent'), revision: null },
      { kind: 'router' as const, id: id('r'), version: null },
      { kind: 'flags' as const, revision: 0 },
    ];
    expect(await store.commit(commitOf({ ports: [{ value: p, expected: null }], checks }))).toBe('committed');
    expect(await store.commit(commitOf({ checks: [{ kind: 'flags', revision: 3 }] }))).toBe('conflict');
  });

  it('keeps outbox records until deleted, whatever their size', async () => {
    const { store, net } = fresh();
    const small = anOutbox({ networkId: net.id });
    const entries = Array.from({ length: 40_000 }, (_, i) => [
      `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    ]) as [string, string][];
    const big = anOutbox({
      networkId: net.id,
      key: '000000000002',
      version: 2,
      commands: Array.from({ length: 14 }, (_, part) => ({
        host: 'h9',
        command: {
          v: 1 as const,
          kind: 'snapshot' as const,
          networkId: net.id,
          version: 2,
          segment: { networkType: 'vxlan', segmentId: 1 },
          part: { index: part, count: 14 },
          fdb_entries: {
            [net.id]: {
              segment_id: 1,
              network_type: 'vxlan',
              ports: { [`192.0.2.${part}`]: entries.slice(part * 3000, part * 3000 + 3000) },
            },
          },
        },
      })),
    });
    expect(await store.commit(commitOf({ outbox: [small, big] }))).toBe('committed');
    const listed = (await store.listOutbox(net.id)).sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(listed).toEqual([small, big]);
    await store.deleteOutbox(net.id, big.key);
    await store.deleteOutbox(net.id, small.key);
    expect(await store.listOutbox(net.id)).toEqual([]);
  });

  it('lists the networks holding an outbox record, with the oldest record time, until it is deleted', async () => {
    let t = Date.parse('2026-01-02T03:04:05.000Z');
    const { store, net } = fresh(() => t);
    const mine = async () => (await store.listPendingOutboxes()).filter((p) => p.networkId === net.id);
    const first = anOutbox({ networkId: net.id });
    const second = anOutbox({ networkId: net.id, version: first.version + 1, key: `${first.key}b` });
    expect(await store.commit(commitOf({ outbox: [first] }))).toBe('committed');
    t += 5000;
    expect(await store.commit(commitOf({ outbox: [second] }))).toBe('committed');
    expect(await mine()).toEqual([{ networkId: net.id, at: '2026-01-02T03:04:05.000Z' }]);
    await store.deleteOutbox(net.id, first.key);
    expect(await mine()).toEqual([{ networkId: net.id, at: '2026-01-02T03:04:10.000Z' }]);
    await store.deleteOutbox(net.id, second.key);
    expect(await mine()).toEqual([]);
  });

  it('keeps the router views a network records', async () => {
    const { store, net } = fresh();
    const state = aState({
      network: net,
      routers: { r1: { hosts: ['h1', 'h2'], master: 'h2' }, r2: { hosts: ['h3'], master: null } },
    });
    expect(await store.commit(commitOf({ networks: [{ value: state, expected: null }] }))).toBe('committed');
    expect((await store.getNetworkState(net.id))?.routers).toEqual(state.routers);
  });
});
