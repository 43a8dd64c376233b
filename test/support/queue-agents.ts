import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { agentQueueName, isMissingQueue } from '../../src/adapters/aws/agent-queues.js';
import { describeRefusal } from '../../tools/sim/reference-agent-check.js';
import { createStrictAgents } from '../../tools/sim/strict-agents.js';

export interface QueueAgentsOptions {
  readonly sqs: SQSClient;
  readonly prefix: string;
  /** The agent-events queue, where a gap turns into an `agent.resync`. */
  readonly agentEventsUrl: string;
  /** A host's tunnel IP, to check each command as the reference agent would (tools/sim/strict-agents.ts). */
  readonly tunnelIpOf?: (host: string) => string | null | undefined;
}

/**
 * Simulated agents on their real per-agent FIFO queues: each message goes to a strict simulated
 * agent (tools/sim/strict-agents.ts; a command or entry the reference agent refuses fails the
 * test, a wait for a VNI does not) and is deleted; a version gap, a refused command of a held
 * network or a freed VNI sends an `agent.resync` as a real agent would.
 */
export function createQueueAgents(options: QueueAgentsOptions) {
  const strict = createStrictAgents();
  const agents = strict.tables;
  const urls = new Map<string, string>();
  /** `vniWaits`: commands refused while another network held their VNI (they come again later). */
  const received = { messages: 0, gaps: 0, resyncs: 0, vniWaits: 0 };

  const urlOf = async (host: string): Promise<string | undefined> => {
    const known = urls.get(host);
    if (known) return known;
    try {
      const res = await options.sqs.send(
        new GetQueueUrlCommand({ QueueName: agentQueueName(options.prefix, host) }),
      );
      if (res.QueueUrl) urls.set(host, res.QueueUrl);
      return res.QueueUrl;
    } catch {
      return undefined;
    }
  };

  const receive = (QueueUrl: string) =>
    options.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));

  /** Receives and applies everything currently in one host's queue; returns how many it applied. */
  const pumpHost = async (host: string): Promise<number> => {
    const QueueUrl = await urlOf(host);
    if (!QueueUrl) return 0;
    let n = 0;
    for (;;) {
      let res: Awaited<ReturnType<typeof receive>>;
      try {
        res = await receive(QueueUrl);
      } catch (err) {
        // Deleted (the agent queue sweep): resolve it again on the next pass, as an agent would.
        if (!isMissingQueue(err)) throw err;
        urls.delete(host);
        return n;
      }
      const messages = res.Messages ?? [];
      if (messages.length === 0) return n;
      for (const m of messages) {
        const outcome = strict.deliver(host, options.tunnelIpOf?.(host), m.Body ?? '');
        const refusal = describeRefusal(outcome);
        if (refusal) throw new Error(`${host}: the reference agent refuses a command: ${refusal}`);
        if (outcome.kind === 'rejected') received.vniWaits++;
        else received.messages++;
        n++;
      }
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
      for (const gap of strict.takeResyncs(host)) {
        received.gaps++;
        received.resyncs++;
        const body = JSON.stringify({
          type: 'agent.resync',
          v: 1,
          host: gap.host,
          networkId: gap.networkId,
          reason: 'gap',
        });
        await options.sqs.send(
          new SendMessageCommand({
            QueueUrl: options.agentEventsUrl,
            MessageBody: body,
            MessageGroupId: gap.host,
            // A fresh id per request, as the reference agent sends (agent/sqs-transport.ts): the
            // queue's content-based deduplication would drop a second identical request within 5 minutes.
            MessageDeduplicationId: randomUUID(),
          }),
        );
      }
    }
  };

  return {
    agents,
    received,
    /** One pass over every host's queue. */
    async pump(hosts: readonly string[]): Promise<number> {
      const counts = await Promise.all(hosts.map(pumpHost));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

export type QueueAgents = ReturnType<typeof createQueueAgents>;
