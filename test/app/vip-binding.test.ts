import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { onPortChanges } from '../../src/app/on-port-changes.js';
import { listVips } from '../../src/cli/vip-command.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import type { AgentTable } from '../../src/core/types.js';
import { viewsOfVips } from '../../src/core/vip-view.js';
import { createAppliedAgents, toPortChangeEvent } from '../support/applied-agents.js';
import { createFactOracle } from '../support/fact-oracle.js';
import { inboundEvent, portDeleteBody, vipClaimBody, vmPortBody } from '../support/inbound-bodies.js';
import { VIP_WORLD, vipWorldPorts, vipWorldSetup } from '../support/vip-world.js';

/**
 * A binding is tied to its port (docs/vip.md): a port event that takes the owner's right to its
 * VIP (delete, unbind, move, pair dropped, pair MAC changed, the VIP made a fixed IP) releases the
 * VIP in the same commit, on the single path (`onPortChange`, through the dispatcher) and the
 * coalesced one (`onPortChanges`); a port that holds the pair but does not own the VIP changes
 * only the holders; a later valid claim takes the VIP again. In-memory store.
 */
const NET = { id: 'net-b', networkType: 'vxlan', segmentId: 710 };
const { vip: VIP, vmac: VMAC, tunnels: TUNNEL, macs: MAC, ips: IP, hosts: HOST } = VIP_WORLD;

interface PortSpec {
  readonly host?: string;
  readonly pairs?: readonly { ipAddress: string; macAddress?: string }[];
  readonly ips?: readonly string[];
}

const portEvent = (id: string, revision: number, spec: PortSpec): InboundEvent =>
  inboundEvent(
    vmPortBody(NET, {
      id,
      mac: MAC[id] as string,
      ips: spec.ips ?? [IP[id] as string],
      host: spec.host ?? (HOST[id] as string),
      revision,
      allowedAddressPairs: spec.pairs ?? [{ ipAddress: VIP, macAddress: VMAC }],
    }),
  );
const deleteEvent = (id: string, revision: number): InboundEvent =>
  inboundEvent(portDeleteBody(NET.id, id, revision));

function world() {
  const now = 1_000_000;
  const { store, deps, published, table } = createAppliedAgents({ now });
  const oracle = createFactOracle();
  let seq = 0;
  const send = async (e: InboundEvent) => {
    oracle.apply(e);
    return dispatchEvent(deps, e);
  };
  /** A group of port events of the network through the coalesced path. */
  const sendGroup = async (events: readonly InboundEvent[]) => {
    for (const e of events) oracle.apply(e);
    return onPortChanges(deps, NET.id, events.map(toPortChangeEvent));
  };
  const claim = (portId: string, host: string, mac: string) => {
    seq++;
    const e = inboundEvent(
      vipClaimBody({ host, networkId: NET.id, portId, ip: VIP, mac, at: 990_000 + seq, seq }),
    );
    oracle.apply(e);
    return dispatchEvent(deps, e).catch((err: unknown) => err);
  };
  const setup = async () => {
    for (const body of [...vipWorldSetup('master-binding', TUNNEL), ...vipWorldPorts(NET)])
      await send(inboundEvent(body));
  };
  const record = async () => (await store.listNetworkVips(NET.id))[0];
  /** Every agent's table equals the fact oracle's, which unbinds against every VIP on each port fact. */
  const expectOracle = () => {
    const desired = oracle.desired().get(NET.id) ?? new Map<string, AgentTable>();
    for (const host of Object.keys(TUNNEL)) expect(table(host), host).toEqual(desired.get(host) ?? {});
  };
  return { store, deps, published, send, sendGroup, claim, table, setup, record, oracle, expectOracle };
}

/**
 * Whether an agent's table holds the VIP's binding: an ARP entry for it or the virtual MAC's
 * unicast entry (a fixed IP's own entry, `[port MAC, VIP]`, is the port's, not the binding's).
 */
const anyVip = (t: AgentTable) =>
  Object.values(t).some((es) => es.some(([m, ip]) => m === VMAC || (ip === VIP && m !== MAC.pa)));
const holdsBehind = (t: AgentTable, tunnelIp: string, mac: string) =>
  (t[tunnelIp] ?? []).some(([m, ip]) => m === mac && ip === VIP);

const LOSSES: [string, (rev: number) => InboundEvent][] = [
  ['deleted', (rev) => deleteEvent('pa', rev)],
  ['unbound (host cleared)', (rev) => portEvent('pa', rev, { host: '' })],
  ['rebound to another host', (rev) => portEvent('pa', rev, { host: 'h3' })],
  ['left without the pair', (rev) => portEvent('pa', rev, { pairs: [] })],
  ['left with a pair of another MAC', (rev) => portEvent('pa', rev, { pairs: [{ ipAddress: VIP }] })],
];

/** The owner port given the VIP as a fixed IP (bound: it then holds the address). */
const vipAsFixedIp = (rev: number) =>
  portEvent('pa', rev, { ips: ['10.0.0.11', VIP], pairs: [{ ipAddress: VIP, macAddress: VMAC }] });

describe('a port event withdraws the binding of the VIP its port owns (master-binding)', () => {
  it.each(LOSSES)('when the owner port is %s, on the single path', async (_how, loss) => {
    const w = world();
    await w.setup();
    await w.claim('pa', 'h1', VMAC);
    for (const h of ['h2', 'h3']) expect(holdsBehind(w.table(h), TUNNEL.h1 as string, VMAC), h).toBe(true);
    const result = await w.send(loss(2));
    expect(result.outcome).toBe('applied');
    // withdrawn everywhere in the same commit, the record kept without an owner
    for (const h of ['h1', 'h2', 'h3']) expect(anyVip(w.table(h)), h).toBe(false);
    const r = await w.record();
    expect(r?.state.owner).toBeNull();
    expect(r?.state.frozen).toBeNull();
    expect(viewsOfVips(r ? [r] : [])).toEqual([]);
    expect((await listVips(w.store, [NET.id]))[0]?.owner).toBeNull();
    w.expectOracle();
    // a later valid claim takes it again: pb, through its prefix pair, with its own MAC
    const taken = await w.claim('pb', 'h2', MAC.pb as string);
    expect(taken).toMatchObject({ outcome: 'applied', vip: { moved: true, owner: { portId: 'pb' } } });
    expect(holdsBehind(w.table('h3'), TUNNEL.h2 as string, MAC.pb as string)).toBe(true);
    w.expectOracle();
  });

  it.each(LOSSES)('when the owner port is %s, on the coalesced path', async (_how, loss) => {
    const w = world();
    await w.setup();
    await w.claim('pa', 'h1', VMAC);
    // the loss, grouped with another port's event of the network
    const outcomes = await w.sendGroup([
      portEvent('pb', 2, { pairs: [{ ipAddress: '10.0.0.96/28' }] }),
      loss(2),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['result', 'result']);
    for (const h of ['h1', 'h2', 'h3']) expect(anyVip(w.table(h)), h).toBe(false);
    expect((await w.record())?.state.owner).toBeNull();
    w.expectOracle();
  });

  it.each([false, true])(
    'when the owner port is given the VIP as a fixed IP (coalesced: %s): recorded while another port’s prefix pair covers it (the overlap reported), the binding withdrawn',
    async (coalesce) => {
      const w = world();
      await w.setup();
      await w.claim('pa', 'h1', VMAC);
      // pb's prefix pair 10.0.0.96/28 covers the VIP: pa holding it is an overlap, reported
      // (aap_overlaps_fixed_ip), and pa's own binding goes, since its claim no longer stands
      const outcome = coalesce
        ? await w.sendGroup([vipAsFixedIp(2)]).then(([o]) => (o?.kind === 'result' ? o.result : o))
        : await w.send(vipAsFixedIp(2));
      expect(outcome).toMatchObject({
        outcome: 'applied',
        overlaps: [{ aapPort: 'pb', pair: '10.0.0.96/28', fixedPort: 'pa', ip: VIP }],
      });
      for (const h of ['h1', 'h2', 'h3']) expect(anyVip(w.table(h)), h).toBe(false);
      expect((await w.record())?.state.owner).toBeNull();
      w.expectOracle();
      // pb may keep its prefix, and is refused a claim of the address pa holds
      expect((await w.send(portEvent('pb', 2, { pairs: [{ ipAddress: '10.0.0.96/28' }] }))).outcome).toBe(
        'applied',
      );
      expect(await w.claim('pb', 'h2', MAC.pb as string)).toMatchObject({ code: 'aap_overlaps_fixed_ip' });
      for (const h of ['h1', 'h2', 'h3']) expect(anyVip(w.table(h)), h).toBe(false);
      w.expectOracle();
    },
  );

  it('a group that moves the owner port away and back releases it too, as one event at a time would', async () => {
    const w = world();
    await w.setup();
    await w.claim('pa', 'h1', VMAC);
    await w.sendGroup([portEvent('pa', 2, { host: 'h3' }), portEvent('pa', 3, { host: 'h1' })]);
    expect((await w.record())?.state.owner).toBeNull();
    for (const h of ['h2', 'h3']) expect(anyVip(w.table(h)), h).toBe(false);
    w.expectOracle();
    // its own next announcement takes it back
    await w.claim('pa', 'h1', VMAC);
    for (const h of ['h2', 'h3']) expect(holdsBehind(w.table(h), TUNNEL.h1 as string, VMAC), h).toBe(true);
  });

  it('a port that holds the pair but does not own the VIP changes only the holders', async () => {
    const w = world();
    await w.setup();
    await w.claim('pb', 'h2', MAC.pb as string);
    await w.claim('pa', 'h1', VMAC);
    expect((await w.record())?.holders).toEqual({ pa: 'h1', pb: 'h2' });
    const n = w.published.length;
    await w.send(deleteEvent('pb', 2));
    const r = await w.record();
    expect(r?.state.owner).toMatchObject({ portId: 'pa', host: 'h1', mac: VMAC });
    expect(r?.holders).toEqual({ pa: 'h1' });
    // the port's own delete is published (h2 leaves); the VIP's entries stay where they were
    expect(w.published.length).toBe(n + 1);
    expect(holdsBehind(w.table('h3'), TUNNEL.h1 as string, VMAC)).toBe(true);
    w.expectOracle();
  });

  it('a port change that keeps the right (a new fixed IP, status) changes nothing', async () => {
    const w = world();
    await w.setup();
    await w.claim('pa', 'h1', VMAC);
    const before = await w.record();
    await w.send(portEvent('pa', 2, { ips: ['10.0.0.21'] }));
    expect(await w.record()).toEqual(before);
    for (const h of ['h2', 'h3']) expect(holdsBehind(w.table(h), TUNNEL.h1 as string, VMAC), h).toBe(true);
  });

  it('a port that never claimed the VIP loses nothing and writes no VIP record', async () => {
    const w = world();
    await w.setup();
    await w.send(deleteEvent('pa', 2));
    expect(await w.store.listNetworkVips(NET.id)).toEqual([]);
  });
});

/** A random history step: a port event (single or grouped) or a claim. */
const stepArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('port' as const),
      id: fc.constantFrom('pa', 'pb'),
      host: fc.constantFrom('h1', 'h2', 'h3', ''),
      pairs: fc.constantFrom('vmac', 'own', 'prefix', 'none'),
      delete: fc.constantFrom(false, false, false, true),
      grouped: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      id: fc.constantFrom('pa', 'pb'),
      vmac: fc.boolean(),
    }),
  },
);

describe('the port events equal the fact oracle on random histories of VIP owners', () => {
  it('single and coalesced paths: every VIP record and every agent table (200 runs)', async () => {
    let withdrawn = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        const w = world();
        await w.setup();
        const revision: Record<string, number> = { pa: 1, pb: 1 };
        const current: Record<string, { host: string } | null> = { pa: { host: 'h1' }, pb: { host: 'h2' } };
        let group: InboundEvent[] = [];
        const flush = async () => {
          if (group.length > 0) await w.sendGroup(group);
          group = [];
        };
        for (const s of steps) {
          if (s.kind === 'claim') {
            await flush();
            const host = current[s.id]?.host || 'h1';
            await w.claim(s.id, host, s.vmac ? VMAC : (MAC[s.id] as string));
            continue;
          }
          const rev = (revision[s.id] = (revision[s.id] ?? 1) + 1);
          const pairs =
            s.pairs === 'vmac'
              ? [{ ipAddress: VIP, macAddress: VMAC }]
              : s.pairs === 'own'
                ? [{ ipAddress: VIP }]
                : s.pairs === 'prefix'
                  ? [{ ipAddress: '10.0.0.96/28' }]
                  : [];
          const e = s.delete ? deleteEvent(s.id, rev) : portEvent(s.id, rev, { host: s.host, pairs });
          current[s.id] = s.delete ? null : { host: s.host };
          const owned = (await w.record())?.state.owner?.portId === s.id;
          if (s.grouped) group.push(e);
          else {
            await flush();
            await w.send(e).catch(() => undefined);
          }
          if (owned && !s.grouped && (await w.record())?.state.owner === null) withdrawn++;
        }
        await flush();
        // the records' views equal the oracle's, and so do the tables the agents applied
        const stored = viewsOfVips(await w.store.listNetworkVips(NET.id));
        expect(stored).toEqual(w.oracle.vips(NET.id));
        w.expectOracle();
      }),
      { numRuns: 200 },
    );
    expect(withdrawn).toBeGreaterThan(20);
  });
});
