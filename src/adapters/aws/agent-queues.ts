import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { AgentQueueList, ListedAgentQueue } from '../../app/ports.js';
import { HOST_TAG } from './agent-queue-tags.js';

/** SQS queue names: 80 characters, letters, digits, `-` and `_`, and `.fifo` for FIFO queues. */
const MAX_NAME = 80;

const HASH_CHARS = 12;

/**
 * The name of a host's command queue, one queue per host (the mapping is injective):
 * - a host of letters, digits and `-` that fits is kept as is: `<prefix><host>.fifo`;
 * - any other host (a `.` or `_` in it, or too long for 80 characters) becomes
 *   `<prefix><host with . turned into _, cut to fit>_<12 hex of sha256(host)>.fifo`.
 * Altered names always hold a `_` and kept names never do, so the two kinds cannot meet, and two
 * altered names differ by their hash (`cmp.1` and `cmp_1` get two queues). Every name matches the
 * IAM pattern `<prefix>*` (docs/data-model.md, docs/operations.md).
 */
export function agentQueueName(prefix: string, host: string): string {
  const plain = `${prefix}${host}.fifo`;
  if (/^[A-Za-z0-9-]+$/.test(host) && plain.length <= MAX_NAME) return plain;
  const safe = host.replace(/[^A-Za-z0-9_-]/g, '_');
  const hash = createHash('sha256').update(host).digest('hex').slice(0, HASH_CHARS);
  const room = MAX_NAME - prefix.length - '.fifo'.length - HASH_CHARS - 1;
  if (room < 1) throw new Error(`agent queue prefix ${prefix} is too long`);
  return `${prefix}${safe.slice(0, room)}_${hash}.fifo`;
}

/** CreateQueue attributes of every agent queue (also published in docs/contract/asyncapi.yaml). */
export const AGENT_QUEUE_ATTRIBUTES: Readonly<Record<string, string>> = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '1209600',
  VisibilityTimeout: '30',
};

export interface AgentQueuesOptions {
  readonly sqs: SQSClient;
  readonly prefix: string;
  /** Extra CreateQueue attributes (encryption: `SqsManagedSseEnabled` or `KmsMasterKeyId`). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Tags of a queue created for `host` (lifecycle: stack, host, creation time); needs sqs:TagQueue. */
  readonly tags?: (host: string) => Record<string, string>;
}

export function isMissingQueue(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return name === 'QueueDoesNotExist' || name.endsWith('NonExistentQueue');
}

/**
 * Per-agent FIFO queues, created when first needed (the agent's first report, or the first command
 * for it) and cached per cold start. Queue URLs always come from GetQueueUrl/CreateQueue, never
 * built by hand (fauxqs matches URLs exactly, docs/local-aws.md §2).
 */
export function createAgentQueues(options: AgentQueuesOptions) {
  const { sqs, prefix } = options;
  const urls = new Map<string, Promise<string>>();
  const attributes: Record<string, string> = { ...AGENT_QUEUE_ATTRIBUTES, ...options.attributes };
  const resolve = async (host: string): Promise<string> => {
    const QueueName = agentQueueName(prefix, host);
    try {
      const found = await sqs.send(new GetQueueUrlCommand({ QueueName }));
      if (found.QueueUrl) return found.QueueUrl;
    } catch (err) {
      if (!isMissingQueue(err)) throw err;
    }
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName,
        Attributes: attributes,
        ...(options.tags ? { tags: options.tags(host) } : {}),
      }),
    );
    if (!created.QueueUrl) throw new Error(`CreateQueue ${QueueName} returned no URL`);
    return created.QueueUrl;
  };
  return {
    /** The URL of the host's queue, creating the queue if it does not exist. */
    url(host: string): Promise<string> {
      let p = urls.get(host);
      if (!p) {
        p = resolve(host);
        urls.set(host, p);
        p.catch(() => urls.delete(host));
      }
      return p;
    },
    name: (host: string) => agentQueueName(prefix, host),
    /** Drops the cached URL: the queue was deleted (a gone agent's), the next `url` resolves again. */
    forget(host: string): void {
      urls.delete(host);
    },
  };
}

/**
 * The stack's agent queues: ListQueues with the prefix (1000 a page), each with its tags
 * (ListQueueTags) for the host it belongs to; `remove` deletes one (DeleteQueue).
 */
export function createAgentQueueList(options: {
  readonly sqs: SQSClient;
  readonly prefix: string;
}): AgentQueueList {
  const { sqs, prefix } = options;
  return {
    async *list(): AsyncIterable<ListedAgentQueue> {
      let NextToken: string | undefined;
      do {
        const page = await sqs.send(
          new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken }),
        );
        for (const url of page.QueueUrls ?? []) {
          try {
            const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
            yield { url, host: Tags?.[HOST_TAG] };
          } catch (err) {
            if (!isMissingQueue(err)) throw err; // deleted meanwhile
          }
        }
        NextToken = page.NextToken;
      } while (NextToken);
    },
    async remove(queue) {
      try {
        await sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url }));
      } catch (err) {
        if (!isMissingQueue(err)) throw err;
      }
    },
  };
}

export type AgentQueues = ReturnType<typeof createAgentQueues>;
