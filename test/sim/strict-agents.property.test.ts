import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOOD, LOCAL, NODE1, NODE2 } from '../agent/fixtures.js';
import { referenceAgent, simulatedAgent } from './agents-under-test.js';

/**
 * A differential test: one hostile command stream, fed to the reference agent (its whole command
 * handling over the fake kernel) and to a strict simulated agent, gets the same answer at every
 * step (applied, buffered, stale, gap or refused with the same code), the same snapshot requests,
 * the same versions held, and after every applied snapshot the same device.
 */
const NETS = ['net-a', 'net-b'] as const;
const VNIS = [100, 200] as const;
/** Two peers, this agent's own VTEP, one of the other family and one that is no address. */
const VTEPS = [NODE1, NODE2, LOCAL, '2001:db8::1', '198.51.100.021'];
/** Two spellings of one MAC, another MAC, a multicast MAC and garbage. */
const MACS = ['fa:16:3e:00:00:01', 'FA:16:3E:00:00:01', 'fa:16:3e:00:00:02', '01:00:5e:00:00:01', 'fa:16:3e'];
/** Two IPs, a loopback, an IPv4-mapped spelling of the first and an IPv6 one. */
const IPS = ['192.0.2.1', '192.0.2.2', '127.0.0.1', '::ffff:192.0.2.1', '2001:db8::5'];

type Ports = Record<string, (readonly string[])[]>;

const entry = fc.oneof(
  { weight: 2, arbitrary: fc.constant<readonly string[]>(FLOOD) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...MACS), fc.constantFrom(...IPS)) },
  { weight: 1, arbitrary: fc.constant<readonly string[]>(['00:00:00:00:00:00', '192.0.2.1']) },
);
const ports: fc.Arbitrary<Ports> = fc.dictionary(
  fc.constantFrom(...VTEPS),
  fc.array(entry, { maxLength: 3 }),
  {
    maxKeys: 2,
  },
);

const fdbOf = (net: string, vni: number, p: Ports) => ({
  [net]: { segment_id: vni, network_type: 'vxlan', ports: p },
});

const head = {
  net: fc.constantFrom(...NETS),
  vni: fc.constantFrom(...VNIS),
  version: fc.integer({ min: 1, max: 4 }),
};

const snapshotCmd = fc
  .record({
    ...head,
    part: fc.oneof(
      { weight: 4, arbitrary: fc.constant({ index: 0, count: 1 }) },
      { weight: 3, arbitrary: fc.record({ index: fc.integer({ min: 0, max: 1 }), count: fc.constant(2) }) },
      { weight: 1, arbitrary: fc.constant({ index: 1, count: 3 }) },
      { weight: 1, arbitrary: fc.constant({ index: 0, count: 65 }) },
    ),
    ports,
  })
  .map(({ net, vni, version, part, ports: p }) => ({
    v: 1,
    kind: 'snapshot',
    networkId: net,
    version,
    segment: { networkType: 'vxlan', segmentId: vni },
    part,
    fdb_entries: fdbOf(net, vni, p),
  }));

const payload = (net: string, vni: number) =>
  fc.oneof(
    ports.map((p) => ({ method: 'add_fdb_entries', fdb_entries: fdbOf(net, vni, p) })),
    ports.map((p) => ({ method: 'remove_fdb_entries', fdb_entries: fdbOf(net, vni, p) })),
    fc
      .record({
        vtep: fc.constantFrom(...VTEPS),
        before: fc.array(entry, { maxLength: 1 }),
        after: fc.array(entry, { maxLength: 1 }),
      })
      .map(({ vtep, before, after }) => ({
        method: 'update_fdb_entries',
        fdb_entries: { chg_ip: { [net]: { [vtep]: { before, after } } } },
      })),
  );

const deltaCmd = fc
  .record({ ...head, base: fc.integer({ min: 0, max: 3 }) })
  .chain(({ net, vni, version, base }) =>
    fc.array(payload(net, vni), { minLength: 1, maxLength: 2 }).map((payloads) => ({
      v: 1,
      kind: 'delta',
      networkId: net,
      version,
      base,
      segment: { networkType: 'vxlan', segmentId: vni },
      payloads,
    })),
  );

const leaveCmd = fc
  .record({ net: head.net, version: head.version })
  .map(({ net, version }) => ({ v: 1, kind: 'leave', networkId: net, version }));

/** Envelope damage: none mostly, else what a forger or a broken controller would send. */
const damage = fc.constantFrom(
  ...Array<string>(8).fill('none'),
  'version-2',
  'payload-segment',
  'payload-network',
  'proto',
  'oversized',
  'not-json',
);

function damaged(cmd: Record<string, unknown>, how: string): string {
  const c = structuredClone(cmd) as Record<string, unknown> & {
    fdb_entries?: Record<string, { segment_id: number }>;
    payloads?: { fdb_entries: Record<string, { segment_id: number }> }[];
  };
  const fdb = c.fdb_entries ?? c.payloads?.[0]?.fdb_entries;
  const inner = fdb ? Object.values(fdb)[0] : undefined;
  switch (how) {
    case 'version-2':
      c.v = 2;
      break;
    case 'payload-segment':
      if (inner && 'segment_id' in inner) inner.segment_id += 1;
      break;
    case 'payload-network':
      if (fdb && inner) fdb['net-c'] = inner;
      break;
    case 'proto':
      return JSON.stringify(c).replace(/^\{/, '{"__proto__":{"polluted":true},');
    case 'oversized':
      return JSON.stringify({ ...c, pad: 'x'.repeat(256 * 1024) });
    case 'not-json':
      return JSON.stringify(c).slice(0, -1);
  }
  return JSON.stringify(c);
}

const stream = fc.array(fc.record({ cmd: fc.oneof(snapshotCmd, deltaCmd, leaveCmd), how: damage }), {
  minLength: 1,
  maxLength: 25,
});

describe('a strict simulated agent answers a hostile command stream as the reference agent does', () => {
  it('step by step: outcome and code, snapshot requests, versions, and the device after a snapshot', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async (steps) => {
        const ref = referenceAgent();
        const sim = simulatedAgent();
        for (const [i, { cmd, how }] of steps.entries()) {
          const body = damaged(cmd, how);
          const at = `step ${i}: ${body.slice(0, 300)}`;
          const expected = await ref.handle(body);
          expect(await sim.handle(body), at).toEqual(expected);
          expect(sim.resyncs(), at).toEqual(ref.resyncs());
          for (const n of NETS) expect(sim.version(n), `${at} (${n})`).toBe(ref.version(n));
          if (expected.kind === 'applied' && cmd.kind === 'snapshot' && 'segment' in cmd)
            expect(sim.device(cmd.segment.segmentId), at).toEqual(ref.device(cmd.segment.segmentId));
        }
      }),
      { numRuns: 300 },
    );
  });
});
