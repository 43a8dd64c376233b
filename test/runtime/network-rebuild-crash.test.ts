import { BatchWriteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditStore } from '../../src/adapters/aws/dynamo-audit-store.js';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import type { FaultInjectedError } from '../../tools/local/faults.js';
import { computeSimAuditEvents } from '../../tools/sim/sim-audit.js';
import { agentReport, message, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * A network rebuild that dies between two of its commits (docs/crash-safety.md, "Network
 * rebuild"), through the bundled port-events function with the local stack's fault injector
 * (`between-commits`, tools/local/faults.ts): 36 hosts and 108 ports, so the rebuild commits the
 * overlap indexes in two transactions, the state in one and the drift-audit sums in two more.
 * SQS redelivers the rebuild; the agents equal the fact oracle, the indexes are all back and every
 * agent's audit matches.
 */
const NET = 'net-rbx';
const HOSTS = Array.from({ length: 36 }, (_, i) => `x${i}`);
const tunnel = (i: number) => `198.51.101.${i + 1}`;
/** A seed whose draws kill one rebuild before its state's commit and one after it. */
const SEED = '3';

let h: Harness;
const workload: WorkloadMessage[] = [];
beforeAll(async () => {
  h = await startHarness({ label: 'rebuild-crash' });
  HOSTS.forEach((host, i) => {
    workload.push(agentReport(host, tunnel(i)));
    for (let p = 0; p < 3; p++)
      workload.push(
        portUpsert({
          network: NET,
          segmentId: 750,
          id: `px-${i}-${p}`,
          mac: `fa:16:3e:0a:${i.toString(16).padStart(2, '0')}:0${p}`,
          ip: `10.10.${i}.${p + 1}`,
          host,
        }),
      );
  });
  await h.send(workload);
  await h.converge(workload);
});
afterAll(() => h?.stop());

const doc = () => h.stack.clients.doc;
async function heldItems(): Promise<{ pk: unknown; sk: unknown }[]> {
  const res = await doc().send(
    new QueryCommand({
      TableName: h.stack.tableName,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `NET#${NET}`, ':p': 'MAC#heldx:' },
      ProjectionExpression: 'pk, sk',
    }),
  );
  return (res.Items ?? []) as { pk: unknown; sk: unknown }[];
}

const reportOf = (host: string): AgentReportEvent => {
  const e = workload.find((m) => m.event?.type === 'agent.report' && m.event.host === host)?.event;
  if (e?.type !== 'agent.report') throw new Error(`no report for ${host}`);
  return e;
};

describe('a network rebuild that dies between two of its commits', () => {
  it('is finished by the redelivery: indexes back, agents equal to the oracle, audits match', async () => {
    // the network as before the indexes and the sums: its held-IP owners gone, its sums incomplete
    const held = await heldItems();
    expect(held.length).toBe(HOSTS.length * 3);
    for (let i = 0; i < held.length; i += 25)
      await doc().send(
        new BatchWriteCommand({
          RequestItems: {
            [h.stack.tableName]: held.slice(i, i + 25).map((k) => ({ DeleteRequest: { Key: k } })),
          },
        }),
      );
    await doc().send(
      new UpdateCommand({
        TableName: h.stack.tableName,
        Key: KEYS.digest(NET),
        UpdateExpression: 'SET c = :f',
        ExpressionAttributeValues: { ':f': false },
      }),
    );

    // a new cold start whose injector kills first deliveries between two of their commits: four
    // rebuilds, one after the other, each dying (or not) at a drawn commit
    await h.restart({ L2POP_FAULTS: 'between-commits=0.5', L2POP_FAULT_SEED: SEED });
    for (let i = 0; i < 4; i++) {
      await h.send([message('port', NET, { type: 'network.rebuild', networkId: NET })]);
      await h.converge(workload);
    }
    const died = h.invocations
      .map((i) => i.outcome.error)
      .filter((e): e is FaultInjectedError => (e as Error | undefined)?.name === 'FaultInjectedError');
    expect(died.every((e) => e.point === 'between-commits')).toBe(true);
    // one before the state's commit (after index commits: 0 networks committed), one after it,
    // before a sum commit (1): the network's sums were `c: false` until the redelivery
    expect(new Set(died.map((e) => e.networksCommitted))).toEqual(new Set([0, 1]));
    expect(h.diff(workload)).toEqual([]);
    expect((await heldItems()).length).toBe(HOSTS.length * 3);

    await h.restart(undefined);
    const readAt = Date.now();
    await h.send(
      HOSTS.flatMap((host) =>
        computeSimAuditEvents(h.agents.agents, reportOf(host), readAt).map((e) => message('agent', host, e)),
      ),
    );
    await h.converge(workload);
    const audits = createDynamoAuditStore({ client: doc(), tableName: h.stack.tableName });
    for (const host of HOSTS) expect((await audits.get(host))?.networks[NET]?.result, host).toBe('match');
  });
});
