import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../../src/adapters/aws/dynamo-audit-store.js';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { Deps } from '../../src/app/reconcile.js';
import type { AgentReportEvent, InboundEvent } from '../../src/contracts/events.js';
import { createTableAgents } from '../../tools/replay/table-agents.js';
import { computeSimAuditEvents } from '../../tools/sim/sim-audit.js';
import { agentReport, portUpsert } from '../support/messages.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * What one `agent.audit` costs on DynamoDB Local, in a network of 2 hosts and 2 ports and in one
 * of 24 hosts and 240 ports built by real events (so the sum records are the ones the commits
 * kept): one BatchGetItem of the network's and the host's sum records, the host's agent and audit
 * record, and one PutItem of the audit record; the same requests and capacity in both.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('auditcost');
});
afterAll(() => stack?.destroy());

const agents = createTableAgents();
const deps = (): Deps => ({
  store: createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName }),
  publisher: agents.publisher,
  audits: { store: createDynamoAuditStore({ client: stack.clients.doc, tableName: stack.tableName }) },
});

async function build(net: string, hosts: number, portsPerHost: number): Promise<AgentReportEvent> {
  const d = deps();
  let first: AgentReportEvent | undefined;
  for (let i = 0; i < hosts; i++) {
    const host = `${net}-h${i}`;
    const report = agentReport(host, `10.${hosts}.${Math.floor(i / 200)}.${(i % 200) + 1}`).event;
    if (report?.type !== 'agent.report') throw new Error('bad report');
    first ??= report;
    await dispatchEvent(d, report);
    for (let p = 0; p < portsPerHost; p++) {
      const e = portUpsert({
        network: net,
        segmentId: 900 + hosts,
        id: `${host}-p${p}`,
        mac: `fa:16:3e:${hosts.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}:${p
          .toString(16)
          .padStart(2, '0')}`,
        ip: `10.${100 + hosts}.${i}.${p + 1}`,
        host,
      }).event;
      await dispatchEvent(d, e as InboundEvent);
    }
  }
  if (!first) throw new Error('no host');
  return first;
}

type Measured = Awaited<ReturnType<typeof measureAudit>>;

async function measureAudit(report: AgentReportEvent, readAt: number) {
  const [event] = computeSimAuditEvents(agents, report, readAt);
  if (!event) throw new Error('no audit');
  stack.clients.meter.reset();
  const result = await dispatchEvent(deps(), event);
  return { usage: stack.clients.meter.usage(), result };
}

describe('cost of one agent.audit on DynamoDB', () => {
  it('is the same requests and capacity for a network of 2 ports as for one of 240', async () => {
    const small = await build('ac-small', 2, 1);
    const large = await build('ac-large', 24, 10);
    const readAt = Date.now();
    // the first audit of a host finds no audit record; every later one reads and rewrites it
    const first = [await measureAudit(small, readAt), await measureAudit(large, readAt)];
    const steady = [await measureAudit(small, readAt + 60_000), await measureAudit(large, readAt + 60_000)];
    for (const m of [...first, ...steady]) {
      expect(m.result.audits?.map((x) => x.result)).toEqual(['match']);
      expect(m.usage.requests).toEqual({ BatchGetItem: 1, PutItem: 1 });
    }
    for (const pair of [first, steady]) {
      expect(pair[1]?.usage.readUnits).toBe(pair[0]?.usage.readUnits);
      expect(pair[1]?.usage.writeUnits).toBe(pair[0]?.usage.writeUnits);
    }
    const [a, b] = steady as [Measured, Measured];
    console.info(
      `agent.audit cost: ${JSON.stringify(a.usage.requests)}, ${a.usage.readUnits} RCU / ${a.usage.writeUnits} WCU (2 ports), ${b.usage.readUnits} RCU / ${b.usage.writeUnits} WCU (240 ports); first audit of a host: ${first[0]?.usage.readUnits} RCU / ${first[0]?.usage.writeUnits} WCU`,
    );
  });
});
