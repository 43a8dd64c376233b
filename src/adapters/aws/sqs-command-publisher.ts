import { createHash } from 'node:crypto';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { CommandPublisher, OutboxRecord } from '../../app/ports.js';
import type { AddressedCommand } from '../../core/commands.js';
import { type AgentQueues, isMissingQueue } from './agent-queues.js';
import { CORRELATION_ATTRIBUTE, ORIGIN_ATTRIBUTE } from './dynamo-receipt-store.js';

/** SendMessageBatch: 10 entries and 1 MiB of bodies per call (the 2025 limit; agent queues allow 1 MiB). */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 1024 * 1024 - 16 * 1024;

export interface SqsPublisherOptions {
  readonly sqs: SQSClient;
  readonly queues: AgentQueues;
  /** Hosts sent to in parallel; each host's own messages stay in order. */
  readonly concurrency?: number;
  /** Called after each host's messages are sent (fault injection, metrics). */
  readonly afterHost?: (host: string) => Promise<void> | void;
}

/** Deterministic per (network, outbox key, host, part): a re-send within 5 minutes is dropped by SQS. */
export function commandDeduplicationId(networkId: string, key: string, host: string, part: number): string {
  return createHash('sha256').update(`${networkId}\n${key}\n${host}\n${part}`).digest('hex');
}

/** Counts for the bench and the logs. */
export interface PublishUsage {
  calls: number;
  messages: number;
  bytes: number;
}

function batches(entries: SendMessageBatchRequestEntry[]): SendMessageBatchRequestEntry[][] {
  const out: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = Buffer.byteLength(e.MessageBody ?? '', 'utf8');
    if (current.length === BATCH_ENTRIES || (current.length > 0 && bytes + size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Publishes an outbox record to the agents' own FIFO queues: MessageGroupId = network id (per
 * network order), one SendMessageBatch per 10 messages of a host. Any failed entry fails the whole
 * publish; the outbox keeps the record and the next attempt re-sends it (deduplicated by SQS within
 * 5 minutes, ignored by version by the agent after that).
 */
export function createSqsCommandPublisher(options: SqsPublisherOptions) {
  const { sqs, queues } = options;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const usage: PublishUsage = { calls: 0, messages: 0, bytes: 0 };

  const sendHost = async (record: OutboxRecord, host: string, commands: readonly AddressedCommand[]) => {
    const QueueUrl = await queues.url(host);
    const entries = commands.map((c, part) => ({
      Id: String(part),
      MessageBody: JSON.stringify(c.command),
      MessageGroupId: record.networkId,
      MessageDeduplicationId: commandDeduplicationId(record.networkId, record.key, host, part),
      ...(record.correlationId
        ? {
            MessageAttributes: {
              [CORRELATION_ATTRIBUTE]: { DataType: 'String', StringValue: record.correlationId },
              ...(record.origin
                ? { [ORIGIN_ATTRIBUTE]: { DataType: 'String', StringValue: JSON.stringify(record.origin) } }
                : {}),
            },
          }
        : {}),
    }));
    for (const batch of batches(entries)) {
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: batch })).catch((err) => {
        // Deleted (its agent was gone): the retry of this publish creates it again.
        if (isMissingQueue(err)) queues.forget(host);
        throw err;
      });
      usage.calls++;
      usage.messages += batch.length - (res.Failed?.length ?? 0);
      usage.bytes += batch.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? '', 'utf8'), 0);
      if (res.Failed && res.Failed.length > 0) {
        const f = res.Failed[0];
        throw new Error(
          `SendMessageBatch to ${host}: ${res.Failed.length} failed (${f?.Code}: ${f?.Message})`,
        );
      }
    }
    await options.afterHost?.(host);
  };

  const publisher = {
    usage,
    async publish(record: OutboxRecord): Promise<void> {
      const byHost = new Map<string, AddressedCommand[]>();
      for (const c of record.commands) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
      const hosts = [...byHost.keys()].sort();
      let next = 0;
      const worker = async () => {
        while (next < hosts.length) {
          const host = hosts[next++] as string;
          await sendHost(record, host, byHost.get(host) ?? []);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, hosts.length) }, worker));
    },
  } satisfies CommandPublisher & { usage: PublishUsage };
  return publisher;
}
