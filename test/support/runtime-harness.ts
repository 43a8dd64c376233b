import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { OUT_DIR } from '../../scripts/build.mjs';
import { queueDepth } from '../../src/adapters/aws/inbound-queues.js';
import type { AgentTable } from '../../src/core/types.js';
import { type FunctionName, type LocalStack, startLocalStack } from '../../tools/local/local-stack.js';
import type { InvocationOutcome } from '../../tools/local/poller.js';
import { createFactOracle } from './fact-oracle.js';
import { createQueueAgents, type QueueAgents } from './queue-agents.js';
import { createTestStack, type TestStack } from './test-stack.js';
import type { InboundQueue, WorkloadMessage } from './workload.js';

const QUEUE_IDS: Record<InboundQueue, string> = {
  port: 'PortEventsQueue',
  ha: 'HaEventsQueue',
  agent: 'AgentEventsQueue',
};

export interface HarnessOptions {
  readonly label: string;
  readonly env?: Record<string, string>;
  readonly concurrency?: number;
}

/** A test stack with the three functions running behind their pollers and simulated agents. */
export async function startHarness(options: HarnessOptions) {
  const stack: TestStack = await createTestStack(options.label);
  // Powertools builds the ColdStart metric at invocation time, reading this from the process
  // environment, not the function's; each test file runs in its own process.
  if (options.env?.POWERTOOLS_METRICS_DISABLED !== 'false') process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const invocations: { fn: FunctionName; outcome: InvocationOutcome }[] = [];
  const start = (env: Record<string, string> | undefined) =>
    startLocalStack({
      clients: stack.clients,
      resources: stack.resources,
      endpoints: stack.endpoints,
      functionsDir: OUT_DIR,
      env: { L2POP_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', ...env },
      concurrency: options.concurrency ?? 1,
      retryDelaySeconds: 0,
      waitTimeSeconds: 1,
      onInvoke: (fn, outcome) => invocations.push({ fn, outcome }),
    });
  let local: LocalStack = await start(options.env);
  const queue = (q: InboundQueue) => {
    const found = stack.resources.queues[QUEUE_IDS[q]];
    if (!found) throw new Error(`no ${q} queue`);
    return found;
  };
  // The newest tunnel IP each host reported, so the simulated agents check every command as the
  // reference agent would.
  const tunnelIps = new Map<string, { revision: number; ip: string | null }>();
  const agents: QueueAgents = createQueueAgents({
    sqs: stack.clients.sqs,
    prefix: local.agentQueuePrefix,
    agentEventsUrl: queue('agent').url,
    tunnelIpOf: (host) => tunnelIps.get(host)?.ip,
  });

  /**
   * Sends messages in order (per queue, batches of 10); `copies` > 1 sends each that many times
   * with distinct deduplication ids. Returns the SQS message ids, aligned with `messages` (first copy).
   */
  const send = async (messages: readonly WorkloadMessage[], copies = 1): Promise<string[]> => {
    for (const m of messages) {
      const e = m.event;
      if (e?.type === 'agent.report' && e.revision >= (tunnelIps.get(e.host)?.revision ?? -1))
        tunnelIps.set(e.host, { revision: e.revision, ip: e.tunnelIp });
    }
    const ids: string[] = new Array(messages.length).fill('');
    for (const q of ['agent', 'port', 'ha'] as const) {
      const entries = messages
        .map((m, index) => ({ m, index }))
        .filter(({ m }) => m.queue === q)
        .flatMap(({ m, index }) =>
          Array.from({ length: copies }, (_, copy) => ({
            Id: `${index}-${copy}`,
            MessageBody: m.body,
            MessageGroupId: m.group,
            MessageDeduplicationId: randomUUID(),
          })),
        );
      for (let i = 0; i < entries.length; i += 10) {
        const res = await stack.clients.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: queue(q).url, Entries: entries.slice(i, i + 10) }),
        );
        if (res.Failed?.length) throw new Error(`send failed: ${JSON.stringify(res.Failed[0])}`);
        for (const ok of res.Successful ?? []) {
          const [index, copy] = (ok.Id ?? '').split('-').map(Number);
          if (copy === 0 && index !== undefined && ok.MessageId) ids[index] = ok.MessageId;
        }
      }
    }
    return ids;
  };

  const depth = (url: string) => queueDepth(stack.clients.sqs, url);
  const inboundDepth = async () =>
    (await Promise.all((['port', 'ha', 'agent'] as const).map((q) => depth(queue(q).url)))).reduce(
      (a, b) => a + b,
      0,
    );

  /** Differences between every agent's tables and the oracle's desired state (empty: converged). */
  const diff = (valid: readonly WorkloadMessage[]): string[] => {
    const oracle = createFactOracle();
    for (const m of valid) if (m.event) oracle.apply(m.event);
    const out: string[] = [];
    const desired = oracle.desired();
    for (const host of oracle.hosts()) {
      for (const [networkId, views] of desired) {
        const want: AgentTable = views.get(host) ?? {};
        const got = agents.agents.table(host, networkId);
        if (JSON.stringify(want) !== JSON.stringify(got))
          out.push(`${host}/${networkId}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
      }
    }
    return out;
  };

  /** Pumps the agents until the inbound queues are empty and every table matches, or throws. */
  const converge = async (valid: readonly WorkloadMessage[], timeoutMs = 120_000) => {
    const hosts = [
      ...new Set(valid.flatMap((m) => (m.event?.type === 'agent.report' ? [m.event.host] : []))),
    ].sort();
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    let inbound = 0;
    for (;;) {
      const moved = await agents.pump(hosts);
      inbound = await inboundDepth();
      if (moved === 0 && inbound === 0) {
        last = diff(valid);
        if (last.length === 0 && (await agents.pump(hosts)) === 0) return;
      }
      if (Date.now() > deadline) {
        const failed = invocations.filter((i) => i.outcome.error !== undefined).slice(-5);
        throw new Error(
          `did not converge (${inbound} inbound messages left; last failed invocations: ${failed
            .map((i) => `${i.fn}: ${(i.outcome.error as Error)?.message}`)
            .join('; ')}):\n${last.slice(0, 10).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /**
   * Sends `step` (each message `copies` times) after `history`, and converges on both: returns
   * the history with the step, for the next one.
   */
  const deliver = async (
    history: readonly WorkloadMessage[],
    step: readonly WorkloadMessage[],
    copies = 1,
  ): Promise<WorkloadMessage[]> => {
    await send(step, copies);
    const all = [...history, ...step];
    await converge(all);
    return all;
  };

  return {
    stack,
    get local() {
      return local;
    },
    /** Stops the functions and cold-starts them again with another environment, on the same table and queues. */
    async restart(env: Record<string, string> | undefined) {
      await local.stop();
      local = await start(env);
    },
    agents,
    invocations,
    queue,
    depth,
    send,
    converge,
    deliver,
    diff,
    async stop() {
      await local.stop();
      stack.destroy();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
