import { CreateQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentQueueName } from '../../src/adapters/aws/agent-queues.js';
import { runAgentQueueSweep } from '../../src/runtime/agent-queue-sweep.js';
import { loadConfig } from '../../src/runtime/config.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { captureOutput } from '../support/emf.js';
import { agentReport, message, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * The agent queue lifecycle (docs/operations.md "Agent queue lifecycle") on DynamoDB Local and
 * fauxqs, with the bundled functions behind the poller: every agent event records when the host
 * was last heard from; the sweep, on a fake clock, deletes the queue of a host gone for
 * L2POP_AGENT_GONE_AFTER_SECONDS, counts it, keeps a live host's, and a host that comes back gets
 * a new queue and a snapshot.
 */
const NAMESPACE = 'L2Pop/agent-queue-sweep';
const GONE_AFTER_SECONDS = 3600;
const port = (n: number, host: string) =>
  portUpsert({
    network: 'qn1',
    segmentId: 901,
    id: `qn1-p${n}`,
    mac: `fa:16:3e:90:01:0${n}`,
    ip: `10.90.1.${n}`,
    host,
    device: `vm-${n}`,
  });
const setup: WorkloadMessage[] = [
  agentReport('gone1', '192.0.2.91'),
  agentReport('live1', '192.0.2.92'),
  port(1, 'gone1'),
  port(2, 'live1'),
];
const applied = (host: string) =>
  message('agent', host, { type: 'agent.applied', host, bootId: 'b1', networks: {}, at: 1 });

let h: Harness;
let rt: Runtime;
const queueExists = async (host: string) =>
  h.stack.clients.sqs
    .send(new GetQueueUrlCommand({ QueueName: agentQueueName(h.local.agentQueuePrefix as string, host) }))
    .then(
      () => true,
      () => false,
    );

beforeAll(async () => {
  h = await startHarness({
    label: 'agentq',
    env: {
      POWERTOOLS_METRICS_DISABLED: 'false',
      L2POP_METRICS_NAMESPACE: NAMESPACE,
      L2POP_LOG_LEVEL: 'ERROR',
    },
  });
  rt = createRuntime(
    'outbox-sweeper',
    loadConfig({
      ...h.local.env,
      L2POP_AGENT_GONE_AFTER_SECONDS: String(GONE_AFTER_SECONDS),
      L2POP_LOG_LEVEL: 'INFO',
    }),
  );
});
afterAll(async () => {
  await h?.stop();
});

describe('the agent queue sweep', () => {
  it('removes a gone agent’s queue and counts it, keeps a live one, and a returning agent converges', async () => {
    await h.send(setup);
    await h.converge(setup);
    const goneSeen = await rt.agentSeen.lastSeen('gone1');
    expect(goneSeen).toBeTypeOf('number');
    // live1 reports what it holds later on (agent.applied); gone1 stays silent.
    const liveBefore = (await rt.agentSeen.lastSeen('live1')) as number;
    await new Promise((r) => setTimeout(r, 20));
    await h.send([applied('live1')]);
    await h.converge(setup);
    const liveSeen = (await rt.agentSeen.lastSeen('live1')) as number;
    expect(liveSeen).toBeGreaterThan(liveBefore);
    expect(liveSeen).toBeGreaterThan(goneSeen as number);
    // A queue under the prefix the controller did not create (no host tag) is left alone.
    const prefix = h.local.agentQueuePrefix as string;
    await h.stack.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${prefix}by-hand.fifo`, Attributes: { FifoQueue: 'true' } }),
    );

    // The fake clock: just short of the gone-after time since live1's agent.applied, past it for
    // everything before (gone1's report, and live1's own).
    const now = liveSeen + GONE_AFTER_SECONDS * 1000 - 1;
    expect(now - liveBefore).toBeGreaterThanOrEqual(GONE_AFTER_SECONDS * 1000);
    const before = await runAgentQueueSweep(rt, liveSeen);
    expect(before.removed).toEqual([]);
    const out = captureOutput();
    let result: Awaited<ReturnType<typeof runAgentQueueSweep>>;
    try {
      result = await runAgentQueueSweep(rt, now);
    } finally {
      out.restore();
    }
    expect(result.removed).toEqual(['gone1']);
    expect(result.untagged).toBe(1);
    expect(await queueExists('gone1')).toBe(false);
    expect(await queueExists('live1')).toBe(true);
    const removed = out.emf().filter((b) => b.metrics.includes('AgentQueuesRemoved'));
    expect(removed.map((b) => [b.namespace, b.values.AgentQueuesRemoved, b.values.strategy])).toEqual([
      [NAMESPACE, 1, 'none'],
    ]);
    expect(out.logs().find((l) => l.host === 'gone1')).toMatchObject({
      message: 'agent queue sweep: removed the queue of a gone agent',
    });

    // gone1 comes back (a new boot): its report creates the queue again and a snapshot converges it.
    const back = agentReport('gone1', '192.0.2.91', false, 'b2');
    await h.send([back]);
    await h.converge([...setup, back]);
    expect(await queueExists('gone1')).toBe(true);
    // A command for it from another function, whose cached URL is the deleted queue's, still arrives.
    const moved = { ...port(3, 'gone1') };
    await h.send([moved]);
    await h.converge([...setup, back, moved]);

    // A queue of the controller's from before last-seen was recorded (tagged, no SEEN item): the
    // first sweep starts its clock, and it goes only after the gone-after time from there.
    await h.stack.clients.sqs.send(
      new CreateQueueCommand({
        QueueName: agentQueueName(prefix, 'legacy1'),
        Attributes: { FifoQueue: 'true' },
        tags: { 'l2pop:host': 'legacy1' },
      }),
    );
    expect((await runAgentQueueSweep(rt, now)).removed).toEqual([]);
    expect(await rt.agentSeen.lastSeen('legacy1')).toBe(now);
    const later = await runAgentQueueSweep(rt, now + GONE_AFTER_SECONDS * 1000);
    expect(later.removed).toContain('legacy1');
    expect(await queueExists('legacy1')).toBe(false);
  });
});
