import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentOutboundEvent } from '../../agent/agent-transport.js';
import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { createFakeKernel } from './fake-kernel.js';
import { agentConfig, delta, FLOOD, LOCAL, NET, NODE1, NODE2, ROUTER, snapshot } from './fixtures.js';

function setup() {
  const kernel = createFakeKernel();
  const log = createMemoryLogger();
  const sent: AgentOutboundEvent[] = [];
  const agent = createAgent({
    config: agentConfig(),
    executor: kernel,
    log,
    send: async (e) => {
      sent.push(e);
    },
    now: () => 1_000_000,
  });
  return { agent, kernel, log, sent };
}

const GOOD = { [NODE1]: [FLOOD, ROUTER], [NODE2]: [FLOOD] };
const GOOD_TABLE = {
  fdb: [`00:00:00:00:00:00 ${NODE1}`, `00:00:00:00:00:00 ${NODE2}`, `fa:16:3e:00:00:01 ${NODE1}`],
  neigh: ['192.0.2.1 fa:16:3e:00:00:01'],
};
const BAD_IP = ['fa:16:3e:00:00:09', '127.0.0.1'] as const;
const hex = (i: number) => i.toString(16).padStart(2, '0');

describe('an entry the agent refuses', () => {
  it('in a snapshot: the good entries are programmed, the bad one is logged and counted', async () => {
    const { agent, kernel, log, sent } = setup();
    const outcome = await agent.handle(snapshot(1, { ...GOOD, [NODE2]: [FLOOD, BAD_IP] }));
    expect(outcome).toMatchObject({
      kind: 'applied',
      version: 1,
      refused: [{ code: 'invalid_ip', vtep: NODE2, mac: BAD_IP[0], ip: BAD_IP[1] }],
    });
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
    expect(agent.held(NET)).toEqual({ version: 1, vni: 100, left: false, dirty: false });
    expect(log.lines.filter((l) => l.msg === 'refused_entry')).toEqual([
      {
        level: 'warn',
        msg: 'refused_entry',
        fields: expect.objectContaining({
          networkId: NET,
          version: 1,
          code: 'invalid_ip',
          vtep: NODE2,
          mac: BAD_IP[0],
          ip: BAD_IP[1],
        }),
      },
    ]);
    const metric = log.lines.find((l) => l.msg === 'metric')?.fields;
    expect(metric).toMatchObject({
      _aws: {
        CloudWatchMetrics: [{ Dimensions: [['code']], Metrics: [{ Name: 'RefusedEntries', Unit: 'Count' }] }],
      },
      code: 'invalid_ip',
      RefusedEntries: 1,
    });
    // Applied, not stalled: nothing to repair, so no snapshot request loops on the same bad fact.
    expect(sent).toEqual([]);
  });

  it('in a delta: the rest applies, the version advances, a later delta applies on top', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(1, { [NODE2]: [FLOOD] }));
    const outcome = await agent.handle(
      delta(2, 1, { add: { [NODE1]: [FLOOD, ROUTER], [LOCAL]: [['fa:16:3e:00:00:08', '192.0.2.8']] } }),
    );
    expect(outcome).toMatchObject({
      kind: 'applied',
      version: 2,
      refused: [{ code: 'self_vtep', vtep: LOCAL }],
    });
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
    // the controller removes the bad fact: the remove is refused the same way and changes nothing
    const removed = await agent.handle(
      delta(3, 2, { remove: { [LOCAL]: [['fa:16:3e:00:00:08', '192.0.2.8']] } }),
    );
    expect(removed).toMatchObject({ kind: 'applied', version: 3 });
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
    expect(agent.held(NET)).toMatchObject({ version: 3, dirty: false });
  });

  it('keeps the first of two contradicting entries and refuses the later one', async () => {
    const { agent, kernel } = setup();
    const mac = ROUTER[0];
    const outcome = await agent.handle(
      snapshot(1, {
        [NODE1]: [FLOOD, ROUTER],
        [NODE2]: [FLOOD, [mac, '192.0.2.7'], ['fa:16:3e:00:00:02', '192.0.2.1']],
      }),
    );
    expect(outcome).toMatchObject({
      kind: 'applied',
      refused: [
        { code: 'duplicate_mac', vtep: NODE2, mac, ip: '192.0.2.7' },
        { code: 'duplicate_ip', vtep: NODE2, mac: 'fa:16:3e:00:00:02', ip: '192.0.2.1' },
      ],
    });
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
  });

  it('across the parts of one snapshot, the earlier part keeps the MAC', async () => {
    const { agent, kernel } = setup();
    expect(
      await agent.handle(snapshot(1, { [NODE1]: [FLOOD, ROUTER] }, { index: 0, count: 2 })),
    ).toMatchObject({
      kind: 'buffered',
    });
    const outcome = await agent.handle(snapshot(1, { [NODE2]: [FLOOD, ROUTER] }, { index: 1, count: 2 }));
    expect(outcome).toMatchObject({ kind: 'applied', refused: [{ code: 'duplicate_mac', vtep: NODE2 }] });
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
  });

  it('logs at most 20 refused entries per command but counts them all', async () => {
    const { agent, kernel, log } = setup();
    const bad = Array.from({ length: 25 }, (_, i) => [`fa:16:3e:00:03:${hex(i)}`, `127.0.0.${i + 1}`]);
    const outcome = await agent.handle(snapshot(1, { ...GOOD, [NODE2]: [FLOOD, ...bad] }));
    expect(outcome.kind === 'applied' ? outcome.refused?.length : 0).toBe(25);
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
    expect(log.lines.filter((l) => l.msg === 'refused_entry')).toHaveLength(20);
    expect(log.lines.find((l) => l.msg === 'refused_entries_truncated')?.fields).toMatchObject({
      refused: 25,
    });
    expect(log.lines.filter((l) => l.msg === 'metric').map((l) => l.fields)).toMatchObject([
      { code: 'invalid_ip', RefusedEntries: 25 },
    ]);
  });

  it('a later snapshot without the bad fact leaves exactly the good table', async () => {
    const { agent, kernel } = setup();
    await agent.handle(snapshot(1, { ...GOOD, [NODE2]: [FLOOD, ['01:00:5e:00:00:01', '192.0.2.5']] }));
    const outcome = await agent.handle(snapshot(2, GOOD));
    expect(outcome).toMatchObject({ kind: 'applied', version: 2, refused: [] });
    expect(kernel.table('vx-100')).toEqual(GOOD_TABLE);
  });
});

type Ports = [string, (readonly string[])[]][];
const VTEPS = [NODE1, NODE2, '198.51.100.23', '198.51.100.24'];

/** A consistent table: one or more unique MACs and IPs, each behind one of four VTEPs, some flooding entries. */
const goodPorts: fc.Arbitrary<Ports> = fc
  .tuple(
    fc
      .uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 12 })
      .chain((ids) =>
        fc.tuple(
          fc.constant(ids),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: ids.length, maxLength: ids.length }),
        ),
      ),
    fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  )
  .map(([[ids, at], flood]) =>
    VTEPS.map((vtep, v): [string, (readonly string[])[]] => [
      vtep,
      [
        ...(flood[v] ? [FLOOD] : []),
        ...ids.filter((_, k) => at[k] === v).map((i) => [`fa:16:3e:00:01:${hex(i)}`, `192.0.2.${i}`]),
      ],
    ]),
  );

interface Injection {
  readonly code: string;
  readonly inject: (ports: Ports, pick: number) => Ports;
}
const intoList =
  (entry: readonly string[]) =>
  (ports: Ports, pick: number): Ports =>
    ports.map(([vtep, list], v) => {
      if (v !== pick % ports.length) return [vtep, list];
      const at = pick % (list.length + 1);
      return [vtep, [...list.slice(0, at), entry, ...list.slice(at)]];
    });
const asVtep =
  (vtep: string) =>
  (ports: Ports, pick: number): Ports => {
    const at = pick % (ports.length + 1);
    return [...ports.slice(0, at), [vtep, [FLOOD, ['fa:16:3e:00:02:01', '192.0.2.251']]], ...ports.slice(at)];
  };
/** A contradiction of the first unicast entry, behind a VTEP after it (the first one is kept). */
const contradicting =
  (kind: 'mac' | 'ip') =>
  (ports: Ports): Ports => {
    const first = ports.flatMap(([, list]) => list).find((e) => e[0] !== FLOOD[0]);
    if (!first) throw new Error('goodPorts holds at least one unicast entry');
    const entry =
      kind === 'mac' ? [first[0] as string, '192.0.2.252'] : ['fa:16:3e:00:02:03', first[1] as string];
    return [...ports, ['198.51.100.77', [entry]]];
  };

const injections: fc.Arbitrary<Injection> = fc.constantFrom<Injection>(
  { code: 'invalid_ip', inject: intoList(['fa:16:3e:00:02:04', '127.0.0.1']) },
  { code: 'invalid_ip', inject: intoList(['fa:16:3e:00:02:04', '192.0.2.300']) },
  { code: 'invalid_mac', inject: intoList(['ff:ff:ff:ff:ff:ff', '192.0.2.253']) },
  { code: 'invalid_mac', inject: intoList(['fa:16:3e:00:02; reboot', '192.0.2.253']) },
  { code: 'invalid_flooding_entry', inject: intoList([FLOOD[0], '192.0.2.254']) },
  { code: 'self_vtep', inject: asVtep(LOCAL) },
  { code: 'address_family', inject: asVtep('2001:db8::21') },
  { code: 'invalid_ip', inject: asVtep('198.51.100.300') },
  { code: 'duplicate_mac', inject: contradicting('mac') },
  { code: 'duplicate_ip', inject: contradicting('ip') },
);

function body(kind: 'snapshot' | 'delta', ports: Ports): string {
  const record = Object.fromEntries(ports);
  return kind === 'snapshot' ? snapshot(1, record) : delta(1, 0, { add: record });
}

describe('property: a bad entry changes nothing but itself', () => {
  it('the table equals the table of the same command without the bad entry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'snapshot' | 'delta'>('snapshot', 'delta'),
        goodPorts,
        injections,
        fc.nat(),
        async (kind, ports, injection, pick) => {
          const clean = setup();
          const dirty = setup();
          const cleanOutcome = await clean.agent.handle(body(kind, ports));
          const outcome = await dirty.agent.handle(body(kind, injection.inject(ports, pick)));
          expect(cleanOutcome).toMatchObject({ kind: 'applied', version: 1, refused: [] });
          expect(outcome).toMatchObject({ kind: 'applied', version: 1 });
          const codes = outcome.kind === 'applied' ? (outcome.refused ?? []).map((r) => r.code) : [];
          expect(codes.length).toBeGreaterThan(0);
          expect(new Set(codes)).toEqual(new Set([injection.code]));
          expect(dirty.kernel.table('vx-100')).toEqual(clean.kernel.table('vx-100'));
          expect(dirty.log.lines.filter((l) => l.msg === 'refused_entry')).toHaveLength(codes.length);
          // and a snapshot without it heals to exactly the good table
          await dirty.agent.handle(snapshot(2, Object.fromEntries(ports)));
          expect(dirty.kernel.table('vx-100')).toEqual(clean.kernel.table('vx-100'));
        },
      ),
      { numRuns: 300 },
    );
  });
});
