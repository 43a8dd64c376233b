import { describe, expect, it } from 'vitest';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import { agentAuditV1 } from '../../src/contracts/events.js';
import { computeTableDigest } from '../../src/core/digest.js';
import type { AgentTable } from '../../src/core/types.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';
import { computeSimAuditEvents, type HeldTables } from '../../tools/sim/sim-audit.js';

const TABLE: AgentTable = {
  '198.51.100.21': [
    ['00:00:00:00:00:00', '0.0.0.0'],
    ['fa:16:3e:00:00:01', '10.0.0.1'],
  ],
};
const held: HeldTables = {
  heldNetworks: (host) => (host === 'c1' ? ['net-a'] : []),
  version: () => 9,
  table: () => TABLE,
};
const report = (arp: 'off' | 'responder' | 'proxy'): AgentReportEvent => ({
  type: 'agent.report',
  v: 1,
  host: 'c1',
  tunnelIp: '198.51.100.11',
  agentType: 'Open vSwitch agent',
  networkTypes: ['vxlan'],
  capabilities: { learning: arp !== 'proxy', arp },
  bootId: 'b1',
  revision: 1,
});

describe('a simulated agent’s audit', () => {
  it('digests the table it holds, counting ARP entries only when it answers ARP', () => {
    for (const arp of ['off', 'responder', 'proxy'] as const) {
      const [event] = computeSimAuditEvents(held, report(arp), 1000);
      const want = computeTableDigest(TABLE, arp !== 'off');
      expect(agentAuditV1.parse(event)).toEqual({
        type: 'agent.audit',
        v: 1,
        host: 'c1',
        bootId: 'b1',
        readAt: 1000,
        networks: [{ networkId: 'net-a', version: 9, sum: want.sum, counts: want.counts }],
      });
      expect(want.counts.arp).toBe(arp === 'off' ? 0 : 1);
    }
  });

  it('leaves out a network it left, as the reference agent does (a tombstone is no device)', () => {
    const tables = createTableAgents();
    const segment = { networkType: 'vxlan', segmentId: 100 };
    const ports = { '198.51.100.21': [...(TABLE['198.51.100.21'] ?? [])] };
    const fdb = (net: string) => ({ [net]: { segment_id: 100, network_type: 'vxlan', ports } });
    for (const net of ['net-a', 'net-b'])
      tables.deliver('c1', {
        v: 1,
        kind: 'snapshot',
        networkId: net,
        version: 1,
        segment,
        part: { index: 0, count: 1 },
        fdb_entries: fdb(net),
      });
    tables.deliver('c1', { v: 1, kind: 'leave', networkId: 'net-a', version: 2 });
    const [event] = computeSimAuditEvents(tables, report('proxy'), 1000);
    expect(event?.networks.map((n) => n.networkId)).toEqual(['net-b']);
  });
});
