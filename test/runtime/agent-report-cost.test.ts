import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../../src/app/ports.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { Agent } from '../../src/core/types.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import { seedNetwork } from '../../tools/support/seed-network.js';
import { meterEvent } from '../support/metered-event.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * What an agent report costs on the real DynamoDB, in networks of 10 hosts and 100 or 3,000 ports
 * (docs/data-model.md, "Cost per event"). A repeat report (same boot id, same facts) writes the
 * agent item and reads no network; a duplicate delivery reads each of the host's network states
 * once, whatever their size; a restart is one of the events allowed to read a whole network.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('agent-cost');
});
afterAll(() => stack?.destroy());

const report = (a: Agent, change: Partial<Agent>): InboundEvent =>
  parseInboundEvent(JSON.stringify({ type: 'agent.report', v: 1, ...a, ...change }));

async function measure(event: InboundEvent): Promise<{ usage: DynamoUsage; sent: readonly OutboxRecord[] }> {
  const { usage, published } = await meterEvent(stack, event);
  return { usage, sent: published };
}

async function seeded(i: number, ports: number): Promise<Agent> {
  const s = await seedNetwork(stack.clients.doc, stack.tableName, {
    network: { id: `ar${i}`, name: `ar${i}`, networkType: 'vxlan', segmentId: 960 + i },
    hosts: 10,
    ports,
  });
  return s.agents[3] as Agent;
}

describe('cost of an agent report on DynamoDB', () => {
  it('a repeat report (same boot id and facts, newer revision) writes the agent item and reads no network', async () => {
    const small = await seeded(1, 100);
    const big = await seeded(2, 3000);
    const costs = [];
    for (const a of [small, big]) costs.push(await measure(report(a, { revision: 2 })));
    for (const { usage, sent } of costs) {
      expect(usage.requests).toEqual({ GetItem: 1, TransactWriteItems: 1 });
      expect(sent).toEqual([]);
    }
    expect(costs[1]?.usage.readUnits).toBe(costs[0]?.usage.readUnits);
    expect(costs[1]?.usage.writeUnits).toBe(costs[0]?.usage.writeUnits);
  });

  it('a duplicate delivery of a report reads each network state once, the same for 100 and 3,000 ports', async () => {
    const small = await seeded(3, 100);
    const big = await seeded(4, 3000);
    const costs = [];
    for (const [i, a] of [small, big].entries()) {
      // each host its own new tunnel IP: a tunnel IP belongs to one host (tunnel_ip_in_use)
      const tunnelIp = `198.18.0.${9 + i}`;
      await measure(report(a, { revision: 2, tunnelIp }));
      costs.push(await measure(report(a, { revision: 2, tunnelIp })));
    }
    const [s, b] = costs.map((c) => c.usage) as [DynamoUsage, DynamoUsage];
    expect(b.requests).toEqual(s.requests);
    expect(b.readUnits).toBe(s.readUnits);
    // The agent item, the host's networks, and per network its state with the PUBLISHED marker in
    // one BatchGetItem (nothing pending: no outbox Query).
    expect(s.requests).toEqual({ GetItem: 1, Query: 1, BatchGetItem: 1 });
  });

  it('a restart with the same facts sends the host one snapshot per network and nothing to the others', async () => {
    const a = await seeded(5, 3000);
    const { usage, sent } = await measure(report(a, { revision: 2, bootId: 'boot-2' }));
    // One snapshot (one version) to the host, nothing to the others. It comes in two parts: the
    // host's 2,709 entries and its 300 local ports (weight 3 each, `localPortWeight`) are more than
    // one part's 3,000 entries' worth (SNAPSHOT_ENTRIES_PER_PART).
    const commands = sent.flatMap((r) => r.commands);
    expect(commands.map((c) => [c.host, c.command.kind])).toEqual([
      [a.host, 'snapshot'],
      [a.host, 'snapshot'],
    ]);
    expect(
      commands.map((c) => (c.command.kind === 'snapshot' ? [c.command.version, c.command.part] : null)),
    ).toEqual([
      [commands[0]?.command.version, { index: 0, count: 2 }],
      [commands[0]?.command.version, { index: 1, count: 2 }],
    ]);
    expect(usage.requests.Query ?? 0).toBeGreaterThan(2);
  });
});
