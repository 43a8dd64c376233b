import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { ipOwnerKey } from '../../src/app/on-port-change.js';
import { COALESCED_ITEM_BUDGET, onPortChanges, type PortChangeEvent } from '../../src/app/on-port-changes.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { createAppliedAgents, storedAgents, toPortChangeEvent } from '../support/applied-agents.js';
import { boundPortsOf } from '../support/bound-ports.js';

/**
 * A coalesced batch (`onPortChanges`) against the same events applied one by one
 * (`dispatchEvent`), each on its own in-memory store with agents that apply every command with the
 * shared protocol: the same outcome per event, the same facts, and every agent holding what the
 * full recompute of the facts gives. The events draw from small pools of ports, revisions, MACs
 * and IPs, so duplicates, stale revisions, deletes, re-creations and MAC/IP conflicts inside one
 * batch are common.
 */
const NETWORK = { id: 'n1', name: 'n1', networkType: 'vxlan' as const, segmentId: 100 };
const HOSTS = ['c1', 'c2', 'c3'];
const PORTS = ['p0', 'p1', 'p2', 'p3'];
const MACS = ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', 'fa:16:3e:00:00:03'];
const IPS = ['10.1.0.1', '10.1.0.2', '10.1.0.3'];

const portEventArb: fc.Arbitrary<InboundEvent> = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        id: fc.constantFrom(...PORTS),
        mac: fc.constantFrom(...MACS),
        ips: fc.uniqueArray(fc.constantFrom(...IPS), { maxLength: 2 }),
        host: fc.constantFrom(...HOSTS, ''),
        status: fc.constantFrom('ACTIVE', 'DOWN'),
        revision: fc.integer({ min: 1, max: 5 }),
        // a pair-only change moves no table, only the port's record on its host
        pairs: fc.uniqueArray(fc.constantFrom('10.1.9.1', '10.1.9.2', '10.1.8.0/29'), { maxLength: 2 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ id: fc.constantFrom(...PORTS), revision: fc.integer({ min: 1, max: 5 }) }),
    },
  )
  .map(
    (p): InboundEvent =>
      'mac' in p
        ? {
            type: 'port.upsert',
            v: 1,
            network: NETWORK,
            port: {
              id: p.id,
              networkId: 'n1',
              mac: p.mac,
              ips: p.ips,
              host: p.host,
              deviceOwner: 'compute:nova',
              deviceId: `i-${p.id}`,
              status: p.status as 'ACTIVE' | 'DOWN',
              dvrHosts: [],
              revision: p.revision,
              ...(p.pairs.length > 0
                ? { allowedAddressPairs: p.pairs.map((ipAddress) => ({ ipAddress })) }
                : {}),
            },
          }
        : { type: 'port.delete', v: 1, portId: p.id, networkId: 'n1', revision: p.revision },
  );

/** Ten ACTIVE VM ports `vm0`..`vm9`, over the hosts in turn, each new (revision 1). */
const tenPorts = (mac: (i: number) => string, ips: (i: number) => string[]) =>
  Array.from(
    { length: 10 },
    (_, i): PortChangeEvent => ({
      network: NETWORK,
      next: {
        id: `vm${i}`,
        networkId: 'n1',
        mac: mac(i),
        ips: ips(i),
        host: HOSTS[i % 3] as string,
        deviceOwner: 'compute:nova',
        deviceId: `i-${i}`,
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
      },
    }),
  );

/** Converged checks where a member held a port with pairs (the property must reach them). */
let withPairs = 0;

function bed() {
  const { store, held, published, deps } = createAppliedAgents({
    accept: ['applied', 'partial', 'duplicate'],
  });
  /** One event through the single-event path: its outcome, or the rejection code. */
  const one = async (e: InboundEvent) => {
    try {
      return (await dispatchEvent(deps, e)).outcome;
    } catch (err) {
      if (isInvalidInputError(err)) return `rejected:${err.code}`;
      throw err;
    }
  };
  const facts = async () => {
    const owners: Record<string, string | undefined> = {};
    for (const k of [...MACS, ...IPS.map(ipOwnerKey)]) owners[k] = await store.getMacOwner('n1', k);
    // The tables, not their versions: a coalesced batch takes fewer versions to reach them.
    const tables = Object.fromEntries(HOSTS.map((h) => [h, held.get(h)?.table ?? {}]));
    const local = Object.fromEntries(HOSTS.map((h) => [h, held.get(h)?.localPorts ?? []]));
    const ports = (await store.listNetworkPorts('n1')).sort((a, b) => (a.id < b.id ? -1 : 1));
    return { ports, owners, tables, local };
  };
  /** Every agent holds what the full recompute of the stored facts gives. */
  const converged = async () => {
    const agents = await storedAgents(store, HOSTS);
    const ports = await store.listNetworkPorts('n1');
    const desired = computeDesiredNetwork({
      network: NETWORK,
      agents,
      ports,
      routers: new Map(),
      flags: DEFAULT_FLAGS,
    });
    for (const h of HOSTS) {
      expect(held.get(h)?.table ?? {}, h).toEqual(desired.views.get(h) ?? {});
      // a member holds the ports bound to it, restated from the stored facts; others hold none
      const member = desired.views.has(h);
      expect(held.get(h)?.localPorts ?? [], `${h}'s local ports`).toEqual(
        member ? boundPortsOf(ports, h) : [],
      );
      if (member && boundPortsOf(ports, h).some((p) => p.allowedAddressPairs.length > 0)) withPairs++;
    }
  };
  return { deps, one, facts, converged, published: () => published.length, store };
}

async function seeded(prefix: readonly InboundEvent[]) {
  const b = bed();
  for (const [i, h] of HOSTS.entries())
    await b.one({
      type: 'agent.report',
      v: 1,
      host: h,
      tunnelIp: `198.51.100.${11 + i}`,
      agentType: 'Open vSwitch agent',
      networkTypes: ['vxlan'],
      capabilities: { learning: true, arp: 'responder' },
      bootId: `${h}-boot`,
      revision: 1,
    });
  for (const e of prefix) await b.one(e);
  return b;
}

describe('a coalesced batch of port events equals its events applied one by one', () => {
  it('gives the same outcomes, facts and agent tables, and the full recompute agrees', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(portEventArb, { maxLength: 6 }),
        fc.array(portEventArb, { minLength: 1, maxLength: 10 }),
        async (prefix, batch) => {
          const single = await seeded(prefix);
          const coalesced = await seeded(prefix);
          const expected = [];
          for (const e of batch) expected.push(await single.one(e));
          const before = coalesced.published();
          const outcomes = await onPortChanges(coalesced.deps, 'n1', batch.map(toPortChangeEvent));
          expect(
            outcomes.map((o) => (o.kind === 'rejected' ? `rejected:${o.error.code}` : o.result.outcome)),
          ).toEqual(expected);
          expect(await coalesced.facts()).toEqual(await single.facts());
          await coalesced.converged();
          await single.converged();
          // At most one commit per event that applied, and never more commits than one by one.
          expect(coalesced.published() - before).toBeLessThanOrEqual(
            expected.filter((o) => o === 'applied').length,
          );
        },
      ),
      { numRuns: 300 },
    );
    expect(withPairs).toBeGreaterThan(100);
  });

  it('commits ten events of distinct ports as one version, counting commands once', async () => {
    const b = await seeded([]);
    const batch = tenPorts(
      (i) => `fa:16:3e:00:01:${10 + i}`,
      (i) => [`10.2.0.${i + 1}`],
    );
    const outcomes = await onPortChanges(b.deps, 'n1', batch);
    expect(outcomes.map((o) => o.kind === 'result' && o.result.outcome)).toEqual(Array(10).fill('applied'));
    expect(b.published()).toBe(1);
    expect((await b.store.getNetworkState('n1'))?.version).toBe(1);
    const commands = outcomes
      .flatMap((o) => (o.kind === 'result' ? o.result.networks : []))
      .map((n) => n.commands);
    expect(commands).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await b.converged();
  });

  it('splits a group whose items would not fit one DynamoDB transaction', async () => {
    const b = await seeded([]);
    // Each port claims its MAC and 8 fixed IPs: 10 events name far more than the budget.
    const batch = tenPorts(
      (i) => `fa:16:3e:00:02:${10 + i}`,
      (i) => Array.from({ length: 8 }, (_, j) => `10.3.${i}.${j + 1}`),
    );
    const outcomes = await onPortChanges(b.deps, 'n1', batch);
    expect(outcomes.every((o) => o.kind === 'result' && o.result.outcome === 'applied')).toBe(true);
    expect(b.published()).toBeGreaterThan(1);
    // Per event: the port, its host's agent check, its MAC and, per fixed IP, the `ip:` owner and
    // the held-IP owner of the overlap rule (`heldx:`, src/app/aap-index.ts).
    const perEvent = 1 + 1 + 1 + 8 * 2;
    expect(b.published()).toBeLessThanOrEqual(Math.ceil(10 / Math.floor(COALESCED_ITEM_BUDGET / perEvent)));
    await b.converged();
  });
});
