import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRejectedStore } from '../../src/adapters/aws/dynamo-rejected-store.js';
import { REJECTION_CODES } from '../../src/core/errors.js';
import { fuzzMessages, lateRejects, semanticRejects } from '../support/fuzz-messages.js';
import { agentReport, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import { generateWorkload, seededRandom, type WorkloadMessage } from '../support/workload.js';

describe('bad input is rejected with a reason, never retried, never blocking its group', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ label: 'fuzz' });
  });
  afterAll(() => h?.stop());

  it('applies every valid message among 1,000 fuzzed ones and rejects each fuzzed one', async () => {
    const workload = generateWorkload({ seed: 99 });
    // Two hosts whose names differ only where a queue name cannot follow (`.` and `_`): each must
    // get its own command queue, or one agent would read the other's commands.
    const net = workload.find((m) => m.event?.type === 'port.upsert')?.event;
    if (net?.type !== 'port.upsert') throw new Error('the workload has no port');
    const colliding = ['cmp.1', 'cmp_1'].flatMap((host, i) => [
      agentReport(host, `198.18.0.${i + 1}`, i === 1),
      portUpsert({
        network: net.network.id,
        segmentId: net.network.segmentId,
        id: `coll-${i}`,
        mac: `fa:16:3e:cc:00:0${i + 1}`,
        ip: `100.64.0.${i + 1}`,
        host,
      }),
    ]);
    const valid = [...workload, ...colliding];
    const fuzzed = fuzzMessages(valid, 1000, 4242);
    const semantic = semanticRejects(valid);
    const rnd = seededRandom(17);
    const mixed: (WorkloadMessage & { invalid?: true })[] = [...valid];
    for (const f of fuzzed) mixed.splice(Math.floor(rnd() * (mixed.length + 1)), 0, f);
    const first = mixed.findIndex((m) => m.event?.type === 'port.upsert');
    mixed.splice(first + 1, 0, ...semantic);

    const ids = await h.send(mixed);
    await h.converge(valid, 180_000);
    const late = lateRejects(valid);
    const lateIds = await h.send(late);
    const invalidIds = new Set([...ids.filter((_, i) => mixed[i]?.invalid), ...lateIds]);
    expect(invalidIds.size).toBe(fuzzed.length + semantic.length + late.length);

    await h.converge(valid, 180_000);
    expect(h.diff(valid)).toEqual([]);

    const store = createRejectedStore({ client: h.stack.clients.doc, tableName: h.stack.tableName });
    let rejected = await store.list();
    for (let i = 0; i < 60 && rejected.length < invalidIds.size; i++) {
      await new Promise((r) => setTimeout(r, 500));
      rejected = await store.list();
    }
    expect(new Set(rejected.map((r) => r.messageId))).toEqual(invalidIds);
    for (const r of rejected) {
      expect(REJECTION_CODES).toContain(r.code);
      expect(r.reason.length).toBeGreaterThan(5);
    }
    const codes = new Set(rejected.map((r) => r.code));
    for (const c of [
      'malformed_json',
      'unknown_event_type',
      'unsupported_version',
      'oversized',
      'invalid_mac',
      'invalid_ip',
      'invalid_message',
      'unknown_network',
      'segment_mismatch',
      'duplicate_mac',
      'duplicate_ip',
      'invalid_segment',
      'network_change',
    ])
      expect(codes).toContain(c);

    for (const dlq of ['PortEventsDlq', 'HaEventsDlq', 'AgentEventsDlq']) {
      const url = h.stack.resources.queues[dlq]?.url ?? '';
      const res = await h.stack.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const ids2 = (res.Messages ?? []).map((m) => m.MessageId ?? '');
      expect(ids2.filter((id) => !invalidIds.has(id))).toEqual([]);
    }
    expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    expect(h.invocations.reduce((n, i) => n + i.outcome.failed, 0)).toBe(0);
  });
});
