import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { l2pop } from './cli-process.js';

const network = { id: 'net-a', networkType: 'vxlan', segmentId: 100 };
const report = (host: string, ip: string) => ({
  type: 'agent.report',
  v: 1,
  host,
  tunnelIp: ip,
  agentType: 'sim',
  networkTypes: ['vxlan'],
  capabilities: { learning: false, arp: 'responder' },
  bootId: `boot-${host}`,
  revision: 1,
});
const port = (id: string, host: string, mac: string, ip: string, deviceOwner: string, deviceId: string) => ({
  type: 'port.upsert',
  v: 1,
  network,
  port: {
    id,
    networkId: 'net-a',
    mac,
    ips: [ip],
    deviceOwner,
    deviceId,
    host,
    status: 'ACTIVE',
    revision: 1,
  },
});

/**
 * A tester's event list: the HA router's interface port carries `network:router_ha_interface` (the
 * VRRP network's port) instead of `network:ha_router_replicated_interface`. Valid by the schema, so
 * the run goes ahead and measures nothing for the router: the warning names why.
 */
const events = [
  report('compute1', '192.0.2.1'),
  report('net1', '192.0.2.11'),
  report('net2', '192.0.2.12'),
  { type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['net1', 'net2'], revision: 1 },
  port('vm1', 'compute1', 'fa:16:3e:00:00:01', '10.0.0.5', 'compute:nova', 'vm-1'),
  port('vip-r1', 'net1', 'fa:16:3e:00:00:0a', '10.0.0.1', 'network:router_ha_interface', 'r1'),
  { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'active', term: 0, seq: 1 },
  { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'standby', term: 0, seq: 2 },
  { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'active', term: 0, seq: 3 },
];

describe('l2pop ab with an input the controller will not act on', () => {
  it('names the router that gets no strategy on stderr and in the --json warnings', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'l2pop-ab-warn-'));
    try {
      const file = path.join(dir, 'events.json');
      await writeFile(file, JSON.stringify(events));
      const out = path.join(dir, 'report');
      const r = await l2pop(
        ['ab', file, '--strategies', 'tunnel', '--out', out, '--json', '--quiet'],
        120_000,
      );
      const expected =
        /router r1 \(first named by event 4 \(ha.schedule, router r1\)\): no port of the input is its HA interface, so no strategy applies to it and its failovers measure nothing \(n\/a\).*ports with this device id: port vip-r1 \(network:router_ha_interface\)/;
      expect(r.stderr).toMatch(new RegExp(`^l2pop: warning: ${expected.source}`, 'm'));
      const printed = JSON.parse(r.stdout) as { warnings: string[] };
      expect(printed.warnings).toEqual([expect.stringMatching(expected)]);
      const written = JSON.parse(await readFile(path.join(out, 'l2pop-ab.json'), 'utf8')) as {
        warnings: string[];
      };
      expect(written.warnings).toEqual(printed.warnings);
      const markdown = await readFile(path.join(out, 'l2pop-ab.md'), 'utf8');
      expect(markdown).toContain(
        `## Warnings: what the controller did not act on\n\n- ${printed.warnings[0]}\n`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
