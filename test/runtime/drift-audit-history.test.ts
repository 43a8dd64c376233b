import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../../src/adapters/aws/dynamo-audit-store.js';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import { computeSimAuditEvents } from '../../tools/sim/sim-audit.js';
import { message } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import { generateWorkload } from '../support/workload.js';

/**
 * The sum records the commits keep in DynamoDB, after a mixed history through the bundled
 * functions (port moves, IP and status changes, deletes, HA failovers, tunnel-IP changes, agent
 * restarts, flag flips, kernel ARP-proxy agents): every converged agent's audit matches, so the
 * records equal what the agents hold, and nothing is repaired.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ label: 'audithist' });
});
afterAll(() => h?.stop());

describe('the drift audit after a mixed history', () => {
  it('finds every converged agent matching, the networks it left included', async () => {
    const workload = generateWorkload({ seed: 7 });
    await h.send(workload);
    await h.converge(workload);
    const latest = new Map<string, AgentReportEvent>();
    for (const m of workload)
      if (m.event?.type === 'agent.report' && m.event.revision >= (latest.get(m.event.host)?.revision ?? 0))
        latest.set(m.event.host, m.event);
    const from = h.agents.agents.log.length;
    const audits = [...latest.values()].flatMap((r) =>
      computeSimAuditEvents(h.agents.agents, r, Date.now()).map((e) => message('agent', r.host, e)),
    );
    expect(audits.length).toBeGreaterThan(0);
    await h.send(audits);
    await h.converge(workload);
    const store = createDynamoAuditStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    const results: string[] = [];
    for (const e of audits) {
      if (e.event?.type !== 'agent.audit') continue;
      const record = await store.get(e.event.host);
      for (const n of e.event.networks)
        results.push(`${e.event.host}/${n.networkId}: ${record?.networks[n.networkId]?.result}`);
    }
    expect(results.length).toBeGreaterThan(5);
    expect(results.filter((r) => !r.endsWith(': match'))).toEqual([]);
    expect(h.agents.agents.log.length).toBe(from);
  });
});
