import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { createExecFileExecutor } from '../../agent/kernel-executor.js';
import { parseDeviceState } from '../../agent/read-device-state.js';
import { agentConfig, delta, FLOOD, leave, NET, NODE1, NODE2, ROUTER, snapshot } from './fixtures.js';

function hasIproute2(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why this file cannot program a kernel here, or null when it can. */
const missing = [
  process.getuid?.() === 0 ? null : 'not root (creating a network namespace needs root)',
  hasIproute2() ? null : 'iproute2 missing (apt-get install iproute2)',
].filter((m): m is string => m !== null);
const canRun = missing.length === 0;
const NS = `l2a-${process.pid}-${randomBytes(3).toString('hex')}`;
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const inNs = (program: 'ip' | 'bridge', ...args: string[]) =>
  execFileSync('ip', ['netns', 'exec', NS, program, ...args], { encoding: 'utf8' });

function kernelState() {
  return parseDeviceState(
    inNs('bridge', '-j', 'fdb', 'show', 'dev', 'vx-100'),
    inNs('ip', '-j', 'neigh', 'show', 'dev', 'vx-100'),
  );
}

/** Programs a real kernel, inside a throwaway network namespace (root only; skipped otherwise). */
describe.skipIf(!canRun)(
  `agent on the real kernel (throwaway netns)${canRun ? '' : `: SKIPPED, ${missing.join(', ')}`}`,
  () => {
    beforeAll(() => {
      ip('netns', 'add', NS);
      ip('-n', NS, 'link', 'set', 'lo', 'up');
    });
    afterAll(() => {
      try {
        ip('netns', 'del', NS);
      } catch {
        // already gone
      }
    });

    const agent = createAgent({
      config: agentConfig({ proxy: true, learning: false, bridgePrefix: 'br-' }),
      executor: createExecFileExecutor({ netns: NS }),
      log: createMemoryLogger(),
      send: async () => {},
      now: () => Date.now(),
    });

    it('creates vx-<vni> in a bridge and holds exactly the snapshot', async () => {
      expect(await agent.handle(snapshot(1, { [NODE1]: [FLOOD, ROUTER], [NODE2]: [FLOOD] }))).toMatchObject({
        kind: 'applied',
      });
      const link = JSON.parse(inNs('ip', '-j', '-d', 'link', 'show', 'dev', 'vx-100'))[0];
      expect(link).toMatchObject({
        master: 'br-100',
        linkinfo: { info_data: { id: 100, proxy: true, learning: false } },
      });
      const s = kernelState();
      expect([...s.flood].sort()).toEqual([NODE1, NODE2]);
      expect([...(s.unicast.get('fa:16:3e:00:00:01') ?? [])]).toEqual([NODE1]);
      expect(s.neigh.get('192.0.2.1')).toBe('fa:16:3e:00:00:01');
    });

    it('moves the router binding with a delta', async () => {
      await agent.handle(delta(2, 1, { remove: { [NODE1]: [FLOOD, ROUTER] }, add: { [NODE2]: [ROUTER] } }));
      const s = kernelState();
      expect([...s.flood]).toEqual([NODE2]);
      expect([...(s.unicast.get('fa:16:3e:00:00:01') ?? [])]).toEqual([NODE2]);
      // the ARP entry (router IP -> the same MAC) is left as it was, not rewritten, and still there
      expect(s.neigh.get('192.0.2.1')).toBe('fa:16:3e:00:00:01');
      expect(s.neigh.size).toBe(1);
    });

    it('forgets what the bridge learned about a MAC whose entry is removed', async () => {
      inNs('bridge', 'fdb', 'add', 'fa:16:3e:00:00:01', 'dev', 'vx-100', 'master', 'dynamic');
      expect(inNs('bridge', 'fdb', 'show', 'br', 'br-100')).toContain(
        'fa:16:3e:00:00:01 dev vx-100 master br-100',
      );
      await agent.handle(delta(3, 2, { remove: { [NODE2]: [ROUTER] } }));
      expect(inNs('bridge', 'fdb', 'show', 'br', 'br-100')).not.toContain(
        'fa:16:3e:00:00:01 dev vx-100 master',
      );
      expect(kernelState().unicast.has('fa:16:3e:00:00:01')).toBe(false);
    });

    it('removes entries someone else added when a snapshot arrives', async () => {
      inNs(
        'bridge',
        'fdb',
        'append',
        '00:00:00:00:00:00',
        'dev',
        'vx-100',
        'dst',
        '198.51.100.99',
        'self',
        'permanent',
      );
      inNs(
        'ip',
        'neigh',
        'replace',
        '192.0.2.99',
        'lladdr',
        'fa:16:3e:00:00:99',
        'dev',
        'vx-100',
        'nud',
        'permanent',
      );
      await agent.handle(snapshot(4, { [NODE2]: [FLOOD, ROUTER] }));
      const s = kernelState();
      expect([...s.flood]).toEqual([NODE2]);
      expect([...s.neigh.keys()]).toEqual(['192.0.2.1']);
    });

    it('appends flooding VTEPs with deltas, idempotently when one repeats', async () => {
      await agent.handle(delta(5, 4, { add: { [NODE1]: [FLOOD] } }));
      await agent.handle(delta(6, 5, { add: { [NODE1]: [FLOOD] } }));
      expect([...kernelState().flood].sort()).toEqual([NODE1, NODE2]);
    });

    it('programs the good entries of a delta with a bad one, and a snapshot without it heals', async () => {
      const other = ['fa:16:3e:00:00:02', '192.0.2.2'] as const;
      const outcome = await agent.handle(
        delta(7, 6, {
          add: {
            [NODE1]: [other, ['fa:16:3e:00:00:03', '127.0.0.1']],
            [NODE2]: [['fa:16:3e:00:00:02', '192.0.2.3']],
          },
        }),
      );
      expect(outcome).toMatchObject({
        kind: 'applied',
        version: 7,
        refused: [
          { code: 'invalid_ip', vtep: NODE1, ip: '127.0.0.1' },
          { code: 'duplicate_mac', vtep: NODE2, ip: '192.0.2.3' },
        ],
      });
      let s = kernelState();
      expect([...(s.unicast.get('fa:16:3e:00:00:02') ?? [])]).toEqual([NODE1]);
      expect(s.unicast.has('fa:16:3e:00:00:03')).toBe(false);
      expect([...s.neigh.entries()].sort()).toEqual([
        ['192.0.2.1', 'fa:16:3e:00:00:01'],
        ['192.0.2.2', 'fa:16:3e:00:00:02'],
      ]);
      await agent.handle(snapshot(8, { [NODE1]: [FLOOD, other], [NODE2]: [FLOOD, ROUTER] }));
      s = kernelState();
      expect([...s.flood].sort()).toEqual([NODE1, NODE2]);
      expect([...(s.unicast.get('fa:16:3e:00:00:02') ?? [])]).toEqual([NODE1]);
      expect(agent.held(NET)).toMatchObject({ version: 8, dirty: false });
    });

    it("reads IPv4-mapped and IPv4-compatible IPv6 entries back in the controller's form: a repeated snapshot changes nothing", async () => {
      // iproute2 prints these in mixed notation (::ffff:10.0.0.5), the controller's contracts in
      // hex (::ffff:a00:5): the same address, two spellings.
      const mapped = ['fa:16:3e:00:00:05', '::ffff:a00:5'] as const;
      const compatible = ['fa:16:3e:00:00:06', '::a00:6'] as const;
      const plain = ['fa:16:3e:00:00:07', '2001:db8::7'] as const;
      const view = { [NODE1]: [FLOOD, mapped, compatible], [NODE2]: [FLOOD, ROUTER, plain] };
      expect(inNs('ip', 'neigh', 'show', 'dev', 'vx-100')).not.toContain('::ffff');
      await agent.handle(snapshot(9, view));
      expect(inNs('ip', '-6', 'neigh', 'show', 'dev', 'vx-100')).toContain('::ffff:10.0.0.5');
      const s = kernelState();
      expect([...s.neigh.entries()].sort()).toEqual([
        ['192.0.2.1', 'fa:16:3e:00:00:01'],
        ['2001:db8::7', 'fa:16:3e:00:00:07'],
        ['::a00:6', 'fa:16:3e:00:00:06'],
        ['::ffff:a00:5', 'fa:16:3e:00:00:05'],
      ]);
      // The same view again: nothing to remove, nothing to add (no moment without the entry).
      const ran: string[] = [];
      const executor = createExecFileExecutor({ netns: NS });
      const watching = createAgent({
        config: agentConfig({ proxy: true, learning: false, bridgePrefix: 'br-' }),
        executor: {
          run: (program, args) => executor.run(program, args),
          batch: (program, lines) => {
            for (const line of lines) ran.push(`${program} ${line.join(' ')}`);
            return executor.batch(program, lines);
          },
        },
        log: createMemoryLogger(),
        send: async () => {},
        now: () => Date.now(),
      });
      await watching.handle(snapshot(10, view));
      expect(ran.filter((line) => line.includes('neigh'))).toEqual([]);
      expect(watching.held(NET)).toMatchObject({ version: 10, dirty: false });
    });

    it('drops the device on leave and keeps the bridge', async () => {
      await agent.handle(leave(11));
      expect(() => inNs('ip', 'link', 'show', 'dev', 'vx-100')).toThrow();
      expect(inNs('ip', '-j', 'link', 'show', 'dev', 'br-100')).toContain('br-100');
      expect(agent.held(NET)).toMatchObject({ version: 11, left: true });
    });
  },
);

/** An agent whose tunnel IP is IPv6 (an IPv6 underlay), in a namespace of its own. */
describe.skipIf(!canRun)(
  `agent with an IPv6 tunnel IP on the real kernel${canRun ? '' : `: SKIPPED, ${missing.join(', ')}`}`,
  () => {
    const NS6 = `${NS}-6`;
    beforeAll(() => ip('netns', 'add', NS6));
    afterAll(() => {
      try {
        ip('netns', 'del', NS6);
      } catch {
        // already gone
      }
    });
    const show = () =>
      JSON.parse(
        execFileSync('ip', ['-n', NS6, '-j', '-d', 'link', 'show', 'dev', 'vx-100'], { encoding: 'utf8' }),
      )[0];

    it('keeps its device across snapshots (iproute2 reports an IPv6 local address as local6)', async () => {
      const agent = createAgent({
        config: agentConfig({ tunnelIp: '2001:db8::11', proxy: true, learning: false }),
        executor: createExecFileExecutor({ netns: NS6 }),
        log: createMemoryLogger(),
        send: async () => {},
        now: () => Date.now(),
      });
      const view = { '2001:db8::21': [FLOOD, ROUTER], '2001:db8::22': [FLOOD] };
      expect(await agent.handle(snapshot(1, view))).toMatchObject({ kind: 'applied' });
      const before = show();
      expect(before.linkinfo.info_data).toMatchObject({ id: 100, local6: '2001:db8::11' });
      expect(await agent.handle(snapshot(2, view))).toMatchObject({ kind: 'applied' });
      expect(show().ifindex).toBe(before.ifindex);
      const fdb = execFileSync('ip', ['netns', 'exec', NS6, 'bridge', '-j', 'fdb', 'show', 'dev', 'vx-100'], {
        encoding: 'utf8',
      });
      expect(parseDeviceState(fdb, '[]').flood).toEqual(new Set(['2001:db8::21', '2001:db8::22']));
    });

    it('cannot flood to a VTEP of the other family (the controller keeps one overlay IP version)', async () => {
      const append = (dst: string) =>
        execFileSync(
          'ip',
          [
            'netns',
            'exec',
            NS6,
            'bridge',
            'fdb',
            'append',
            '00:00:00:00:00:00',
            'dev',
            'vx-100',
            'dst',
            dst,
            'self',
            'permanent',
          ],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
      expect(() => append('198.51.100.21')).toThrow(/Address family not supported/);
      expect(() => append('2001:db8::23')).not.toThrow();
    });
  },
);
