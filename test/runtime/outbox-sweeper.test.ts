import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUT_DIR } from '../../scripts/build.mjs';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import type { SweepResult } from '../../src/app/sweep-outboxes.js';
import type { ScheduledLambdaHandler } from '../../src/runtime/scheduled-handler.js';
import { loadBundledHandler } from '../../tools/local/load-function.js';
import { createLocalSchedule } from '../../tools/local/local-schedule.js';
import { captureOutput } from '../support/emf.js';
import { agentReport, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * An outbox left pending after its message went to the DLQ (docs/crash-safety.md, "outbox
 * sweeper"). The functions lose SQS (their endpoint points nowhere) while the event source mapping
 * keeps working: a port event commits its fact and outbox, every publish fails, and after five
 * receives SQS moves the message to the DLQ. The agents are then behind, and only a later event on
 * the network, or the sweeper, publishes the pending commands.
 */
const agent = (host: string, i: number) => agentReport(host, `192.0.2.${i}`);
const port = (net: number, n: number, host: string, revision = 1, ip = `10.80.${net}.${n}`) =>
  portUpsert({
    network: `sn${net}`,
    segmentId: 800 + net,
    id: `sn${net}-p${n}`,
    mac: `fa:16:3e:80:0${net}:0${n}`,
    ip,
    host,
    device: `vm-${net}-${n}`,
    revision,
  });

const setup: WorkloadMessage[] = [
  agent('s1', 1),
  agent('s2', 2),
  agent('s3', 3),
  port(1, 1, 's1'),
  port(1, 2, 's2'),
  port(2, 1, 's2'),
  port(2, 2, 's3'),
];
/** Sent during the outage: an IP change in sn1, and s1 joining sn2 (a snapshot). */
const duringOutage = [port(1, 1, 's1', 2, '10.80.1.101'), port(2, 3, 's1')];

async function leaveBehindPendingOutboxes(h: Harness): Promise<void> {
  await h.send(setup);
  await h.converge(setup);
  await h.restart({ L2POP_SQS_ENDPOINT: 'http://127.0.0.1:9' });
  await h.send(duringOutage);
  const dlq = h.stack.resources.queues.PortEventsDlq?.url as string;
  const deadline = Date.now() + 60_000;
  while ((await h.depth(dlq)) < duringOutage.length) {
    if (Date.now() > deadline) throw new Error('the messages did not reach the DLQ');
    await new Promise((r) => setTimeout(r, 200));
  }
  await h.restart(undefined);
}

const pendingOutboxes = async (h: Harness) => {
  const store = createDynamoFactStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
  return [...(await store.listOutbox('sn1')), ...(await store.listOutbox('sn2'))].length;
};

async function loadSweeper(h: Harness, minAgeSeconds: number, env: Record<string, string> = {}) {
  const handler = await loadBundledHandler<ScheduledLambdaHandler>(path.join(OUT_DIR, 'outbox-sweeper.mjs'), {
    ...h.local.env,
    L2POP_SWEEP_MIN_AGE_SECONDS: String(minAgeSeconds),
    ...env,
  });
  return createLocalSchedule({ handler, functionName: 'outbox-sweeper', intervalMs: 60_000 });
}

describe('outboxes left pending when their message went to the DLQ', () => {
  it('are published by the outbox sweeper, and every agent converges', async () => {
    const h = await startHarness({ label: 'sweeper' });
    const out = captureOutput();
    try {
      const leftAt = Date.now();
      await leaveBehindPendingOutboxes(h);
      const all = [...setup, ...duringOutage];
      expect(await pendingOutboxes(h)).toBe(2);
      await h.agents.pump(['s1', 's2', 's3']);
      expect(h.diff(all)).not.toEqual([]);

      const sweeper = await loadSweeper(h, 0, {
        POWERTOOLS_METRICS_DISABLED: 'false',
        L2POP_METRICS_NAMESPACE: 'L2Pop/sweeper-test',
      });
      const first = (await sweeper.tick()) as SweepResult;
      const sweptAt = Date.now();
      expect(first).toEqual({
        networks: 2,
        oldestAgeSeconds: first.oldestAgeSeconds,
        published: 2,
        failed: [],
      });
      // The oldest record was written during the outage: after leftAt, and before this tick.
      expect(first.oldestAgeSeconds).toBeGreaterThan(0);
      expect(first.oldestAgeSeconds).toBeLessThanOrEqual((sweptAt - leftAt) / 1000);
      await h.converge(all);
      expect(h.diff(all)).toEqual([]);
      expect(await pendingOutboxes(h)).toBe(0);
      expect(h.agents.received.gaps).toBe(0);
      // Nothing left: a second tick publishes nothing, and the oldest pending age is back to 0.
      expect(await sweeper.tick()).toEqual({ networks: 0, oldestAgeSeconds: 0, published: 0, failed: [] });
      // Each tick publishes OldestOutboxAgeSeconds (unit Seconds, strategy none): the age, then 0.
      const ages = out
        .emf()
        .filter((b) => b.metrics.includes('OldestOutboxAgeSeconds'))
        .map((b) => ({ age: b.values.OldestOutboxAgeSeconds, strategy: b.values.strategy, ns: b.namespace }));
      expect(ages).toEqual([
        { age: first.oldestAgeSeconds, strategy: 'none', ns: 'L2Pop/sweeper-test' },
        { age: 0, strategy: 'none', ns: 'L2Pop/sweeper-test' },
      ]);
    } finally {
      out.restore();
      await h.stop();
    }
  });

  it('leaves a record younger than the minimum age to the invocation that wrote it', async () => {
    const h = await startHarness({ label: 'sweeper-age' });
    try {
      await leaveBehindPendingOutboxes(h);
      const sweeper = await loadSweeper(h, 3600);
      // Too young to publish, but pending: the oldest age is measured all the same.
      const tick = (await sweeper.tick()) as SweepResult;
      expect(tick).toEqual({
        networks: 0,
        oldestAgeSeconds: tick.oldestAgeSeconds,
        published: 0,
        failed: [],
      });
      expect(tick.oldestAgeSeconds).toBeGreaterThan(0);
      expect(await pendingOutboxes(h)).toBe(2);
    } finally {
      await h.stop();
    }
  });

  it('are published first by the next event on the network, with no version gap at the agents', async () => {
    const h = await startHarness({ label: 'sweeper-next' });
    try {
      await leaveBehindPendingOutboxes(h);
      const next = [port(1, 2, 's2', 2, '10.80.1.102'), port(2, 2, 's3', 2, '10.80.2.102')];
      await h.send(next);
      const all = [...setup, ...duringOutage, ...next];
      await h.converge(all);
      expect(h.diff(all)).toEqual([]);
      expect(await pendingOutboxes(h)).toBe(0);
      expect(h.agents.received.gaps).toBe(0);
    } finally {
      await h.stop();
    }
  });
});
