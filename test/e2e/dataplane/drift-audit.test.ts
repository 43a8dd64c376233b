import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../../agent/create-agent.js';
import { createMemoryLogger } from '../../../agent/create-logger.js';
import { createExecFileExecutor } from '../../../agent/kernel-executor.js';
import { computeTableDigest, type ViewDigest } from '../../../src/core/digest.js';
import { agentConfig, FLOOD, NET, NODE1, NODE2, ROUTER, snapshot } from '../../agent/fixtures.js';
import { createDriftNamespaces, driftBedMissing } from './drift-namespaces.js';

/**
 * Drift audit, the agent half (issue 17, docs/drift-audit.md), on the real kernel: the reference
 * agent's `agent.audit` digest of what vx-100 holds equals the core digest of the view it was sent;
 * each of the three kinds of drift changes it, a snapshot of the same view (the repair) restores
 * it, and entries the kernel learned from real VXLAN traffic and the bridge's own entries never
 * count. Two throwaway namespaces joined by a veth underlay: A runs the agent (VTEP LOCAL), B is
 * a remote VTEP (NODE1) whose own vxlan device sends A real encapsulated frames to learn from.
 */
const missing = driftBedMissing();
const canRun = missing.length === 0;
const bed = createDriftNamespaces('l2d');
const { A, inNs, fdbRows } = bed;

const VM = ['fa:16:3e:00:00:02', '192.0.2.2'] as const;
const VIEW = { [NODE1]: [FLOOD, ROUTER], [NODE2]: [FLOOD, VM] };

describe.skipIf(!canRun)(
  `drift audit on the real kernel${canRun ? '' : `: SKIPPED, ${missing.join(', ')}`}`,
  () => {
    beforeAll(() => bed.create());
    afterAll(() => bed.destroy());

    // Learning on, so the device really learns from the frames B sends; proxy on, so ARP entries count.
    const agent = createAgent({
      config: agentConfig({ proxy: true, learning: true, bridgePrefix: 'br-' }),
      executor: createExecFileExecutor({ netns: A }),
      log: createMemoryLogger(),
      send: async () => {},
      now: () => Date.now(),
    });
    let version = 0;
    const want = computeTableDigest(VIEW, true);
    const audited = async (): Promise<ViewDigest & { version: number }> => {
      const [event, ...rest] = await agent.audit();
      expect(rest).toEqual([]);
      const n = event?.networks.find((x) => x.networkId === NET);
      if (!n) throw new Error(`the audit has no ${NET}: ${JSON.stringify(event)}`);
      return { counts: n.counts, sum: n.sum, version: n.version };
    };
    const repair = async () => {
      expect(await agent.handle(snapshot(++version, VIEW))).toMatchObject({ kind: 'applied' });
      expect(await audited()).toEqual({ ...want, version });
    };

    it('reports the core digest of the view it was sent, read from the kernel', async () => {
      await repair();
      expect(want.counts).toEqual({ flood: 2, unicast: 2, arp: 2 });
    });

    it('entries learned from real VXLAN traffic and the bridge’s own entries do not count', async () => {
      const remoteMac = bed.learnFromRemote();
      const rows = fdbRows();
      // What the kernel holds besides the agent's entries, as iproute2 prints it:
      expect(rows).toContainEqual(
        expect.objectContaining({ mac: remoteMac, dst: NODE1, flags: ['self'], state: '' }),
      );
      expect(rows).toContainEqual(expect.objectContaining({ mac: remoteMac, master: 'br-100', state: '' }));
      expect(rows).toContainEqual(expect.objectContaining({ master: 'br-100', state: 'permanent' }));
      expect(await audited()).toEqual({ ...want, version });
    });

    it('a programmed FDB entry deleted by hand changes the digest; the snapshot repairs it', async () => {
      inNs(A, 'bridge', 'fdb', 'del', ROUTER[0], 'dev', 'vx-100', 'dst', NODE1, 'self');
      const d = await audited();
      expect(d.counts).toEqual({ flood: 2, unicast: 1, arp: 2 });
      expect(d.sum).not.toBe(want.sum);
      await repair();
    });

    it('a stray permanent FDB entry changes the digest; the snapshot repairs it', async () => {
      inNs(
        A,
        'bridge',
        'fdb',
        'add',
        'fa:16:3e:00:00:77',
        'dev',
        'vx-100',
        'dst',
        '198.51.100.77',
        'self',
        'permanent',
      );
      const d = await audited();
      expect(d.counts).toEqual({ flood: 2, unicast: 3, arp: 2 });
      expect(d.sum).not.toBe(want.sum);
      await repair();
    });

    it('a stray flooding destination changes the digest even with the same counts of unicast entries', async () => {
      inNs(A, 'bridge', 'fdb', 'del', '00:00:00:00:00:00', 'dev', 'vx-100', 'dst', NODE2, 'self');
      inNs(
        A,
        'bridge',
        'fdb',
        'append',
        '00:00:00:00:00:00',
        'dev',
        'vx-100',
        'dst',
        '198.51.100.77',
        'self',
        'permanent',
      );
      const d = await audited();
      expect(d.counts).toEqual(want.counts);
      expect(d.sum).not.toBe(want.sum);
      await repair();
    });

    it('a dropped ARP entry changes the digest; the snapshot repairs it', async () => {
      inNs(A, 'ip', 'neigh', 'del', VM[1], 'dev', 'vx-100');
      const d = await audited();
      expect(d.counts).toEqual({ flood: 2, unicast: 2, arp: 1 });
      expect(d.sum).not.toBe(want.sum);
      await repair();
    });

    it('IPv6 entries, IPv4-mapped and IPv4-compatible ones included, digest as the controller spells them', async () => {
      // iproute2 prints ::ffff:10.0.0.5 and ::10.0.0.6 for what the contracts spell ::ffff:a00:5 and ::a00:6.
      const view6 = {
        [NODE1]: [FLOOD, ROUTER, ['fa:16:3e:00:00:05', '::ffff:a00:5'] as const],
        [NODE2]: [
          FLOOD,
          VM,
          ['fa:16:3e:00:00:06', '::a00:6'] as const,
          ['fa:16:3e:00:00:07', '2001:db8::7'] as const,
        ],
      };
      expect(await agent.handle(snapshot(++version, view6))).toMatchObject({ kind: 'applied' });
      expect(inNs(A, 'ip', '-6', 'neigh', 'show', 'dev', 'vx-100')).toContain('::ffff:10.0.0.5');
      expect(await audited()).toEqual({ ...computeTableDigest(view6, true), version });
      await repair();
    });
  },
);
