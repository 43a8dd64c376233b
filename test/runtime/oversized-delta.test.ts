import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { MAX_DELTA_BYTES } from '../../src/app/network-planner.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';
import { buildNetwork } from '../../tools/support/seed-network.js';

describe('the SQS message limit', () => {
  it('sends a snapshot in parts instead of a delta too large for one message', async () => {
    const store = createMemoryStore();
    const agents = createTableAgents();
    const sent: OutboxRecord[] = [];
    const publisher = {
      publish: async (r: OutboxRecord) => {
        sent.push(r);
        await agents.publisher.publish(r);
      },
    };
    const network = { id: 'big', name: 'big', networkType: 'vxlan', segmentId: 77 };
    const {
      ports,
      agents: hosts,
      state,
    } = buildNetwork({ network, hosts: 2, ports: 2 * Math.ceil(MAX_DELTA_BYTES / 60), hostPrefix: 'b' });
    const ev = (o: Record<string, unknown>) => parseInboundEvent(JSON.stringify({ v: 1, ...o }));
    // Seeded in one commit, as the bench seeds DynamoDB: 20,400 ports through events would take minutes.
    await store.commit({
      ports: ports.map((value) => ({ value, expected: null })),
      macs: ports.map((p) => ({ networkId: network.id, mac: p.mac, owner: p.id })),
      routers: [],
      agents: hosts.map((value) => ({ value, expected: null })),
      flags: null,
      networks: [{ value: state, expected: null }],
      outbox: [],
    });
    sent.length = 0;
    // b0 moves its VTEP: b1 must drop ~17,000 entries under the old IP and add them under the new one (> 1 MiB).
    const moved = { ...hosts[0], tunnelIp: '198.18.9.9', revision: 2 };
    await dispatchEvent({ store, publisher }, ev({ type: 'agent.report', ...moved }));
    const toB1 = sent.flatMap((r) => r.commands).filter((c) => c.host === 'b1');
    expect(toB1.every((c) => c.command.kind === 'snapshot')).toBe(true);
    expect(toB1.length).toBeGreaterThan(3);
    for (const c of toB1) expect(JSON.stringify(c.command).length).toBeLessThan(256 * 1024);
    const desired = computeDesiredNetwork({
      network,
      agents: new Map([
        [
          moved.host as string,
          { ...hosts[0], tunnelIp: '198.18.9.9', revision: 2 } as (typeof hosts)[number],
        ],
        [hosts[1]?.host as string, hosts[1] as (typeof hosts)[number]],
      ]),
      ports,
      routers: new Map(),
      flags: DEFAULT_FLAGS,
    });
    expect(agents.table('b1', 'big')).toEqual(desired.views.get('b1'));
  });
});
