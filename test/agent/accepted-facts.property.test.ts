import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernelCommandOf, planDeltaOps } from '../../agent/kernel-ops.js';
import {
  keepConsistentEntries,
  parseAgentCommandBody,
  type RefusedEntry,
} from '../../agent/parse-agent-command.js';
import { planSnapshotOps } from '../../agent/plan-snapshot-ops.js';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';

/**
 * The controller never accepts a fact its agents must refuse: from any facts the inbound contracts
 * and use-cases accept, hostile values included, every command the planner emits passes the
 * reference agent's own parser and the last check before iproute2 (`kernelCommandOf`).
 */
const HOSTILE_IPS = [
  '0.0.0.0',
  '0.1.2.3',
  '::',
  '255.255.255.255',
  '224.0.0.1',
  '239.255.255.250',
  'ff02::1',
  '127.0.0.1',
  '::1',
];
const VALID_IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::5', '169.254.169.254', 'fe80::1'];
/** Mostly usable addresses (so facts get accepted and agents hold something), some hostile. */
const fixedIp = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VALID_IPS) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_IPS) },
);
const HOSTS = ['h1', 'h2', 'h3'] as const;
const TUNNEL_IPS: Record<string, string> = { h1: '192.0.2.1', h2: '192.0.2.2', h3: '192.0.2.3' };
const MACS = ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', 'fa:16:3e:00:00:03', 'fa:16:3e:00:00:04'];

const report = (host: string, tunnelIp: string, revision: number) => ({
  type: 'agent.report',
  v: 1,
  host,
  tunnelIp,
  agentType: 'reference agent',
  networkTypes: ['vxlan'],
  capabilities: { learning: false, arp: 'proxy' },
  bootId: `${host}-boot`,
  revision,
});

const portEvent = fc
  .record({
    segment: fc.oneof(
      { weight: 6, arbitrary: fc.constant(100) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 16_777_215, 16_777_216, 2 ** 32) },
    ),
    port: fc.integer({ min: 1, max: 5 }),
    mac: fc.constantFrom(...MACS),
    ips: fc.uniqueArray(fixedIp, { minLength: 1, maxLength: 2 }),
    host: fc.constantFrom(...HOSTS),
    status: fc.constantFrom('ACTIVE', 'DOWN'),
    revision: fc.integer({ min: 1, max: 6 }),
    deleted: fc.boolean(),
  })
  .map((p) =>
    p.deleted
      ? { type: 'port.delete', v: 1, portId: `p${p.port}`, networkId: 'n1', revision: p.revision }
      : {
          type: 'port.upsert',
          v: 1,
          network: { id: 'n1', networkType: 'vxlan', segmentId: p.segment },
          port: {
            ...{ id: `p${p.port}`, networkId: 'n1', mac: p.mac, ips: p.ips, host: p.host },
            ...{ deviceOwner: 'compute:nova', deviceId: `vm${p.port}`, status: p.status },
            revision: p.revision,
          },
        },
  );

/** The agent side of one command: parse, plan the kernel operations, check every argv. */
function agentAccepts(host: string, body: string): void {
  const tunnelIp = TUNNEL_IPS[host] as string;
  const cmd = parseAgentCommandBody(body, tunnelIp);
  if (cmd.kind === 'leave') return;
  // The agent applies a command minus the entries it refuses: an accepted command refuses none.
  if (cmd.refused.length > 0) throw new Error(`refused entries ${JSON.stringify(cmd.refused.slice(0, 3))}`);
  const dev = `vx-${cmd.vni}`;
  const ops =
    cmd.kind === 'delta'
      ? planDeltaOps(dev, true, cmd.steps)
      : planSnapshotOps(dev, true, cmd.entries, { flood: new Set(), unicast: new Map(), neigh: new Map() });
  for (const op of ops) kernelCommandOf(op);
}

describe('accepted facts make commands the reference agent accepts', () => {
  it('every command planned from accepted facts passes the agent parser and kernel-argument checks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            { weight: 10, arbitrary: portEvent },
            {
              weight: 2,
              // hostile addresses, another host's tunnel IP, and endpoints of the other family
              // (IPv6, IPv4-mapped) than the IPv4 overlay's: no IPv4 device can flood to them
              arbitrary: fc
                .tuple(
                  fc.constantFrom(...HOSTILE_IPS, TUNNEL_IPS.h1 as string, '2001:db8::3', '::ffff:c000:203'),
                  fc.integer({ min: 2, max: 9 }),
                )
                .map(([ip, revision]) => report('h3', ip, revision)),
            },
          ),
          { minLength: 5, maxLength: 30 },
        ),
        async (events) => {
          const store = createMemoryStore();
          const refused: string[] = [];
          const tables = createTableAgents();
          const publisher = {
            async publish(record: OutboxRecord) {
              await tables.publisher.publish(record);
              for (const { host, command } of record.commands) {
                try {
                  agentAccepts(host, JSON.stringify(command));
                } catch (err) {
                  refused.push(`${host}: ${(err as Error).message}`);
                }
              }
            },
          };
          const deps = { store, publisher };
          const all = [...HOSTS.map((h) => report(h, TUNNEL_IPS[h] as string, 1)), ...events];
          for (const raw of all) {
            try {
              await dispatchEvent(deps, parseInboundEvent(JSON.stringify(raw)));
            } catch (err) {
              if (!isInvalidInputError(err)) throw err;
            }
          }
          // ...and what each agent ends up holding is a table the agent accepts as a snapshot
          // (one VTEP per MAC, one MAC per IP), whichever deltas built it.
          for (const host of HOSTS) {
            const table = tables.table(host, 'n1');
            const entries = Object.entries(table).flatMap(([vtep, list]) =>
              list.map(([mac, ip]) => ({ vtep, mac, ip })),
            );
            const dropped: RefusedEntry[] = [];
            keepConsistentEntries(entries, dropped);
            for (const d of dropped) refused.push(`${host} table: ${d.code}: ${d.reason}`);
          }
          expect(refused).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
