import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The parts of fauxqs 2.4's `SqsQueue` (dist/sqs/sqsStore.js, not exported) this shim touches. */
interface FauxqsQueue {
  readonly fifoMessages: Map<string, unknown[]>;
  readonly fifoLockedGroups: Map<string, number>;
  readonly inflightMessages: Map<string, { readonly message: { readonly messageGroupId?: string } }>;
  dequeueFifo(
    maxCount: number,
    visibilityTimeout?: number,
    dlqResolver?: unknown,
  ): { ReceiptHandle: string }[];
}

/** fauxqs's queue module, found from here upwards as Node finds packages. */
function sqsStoreModule(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', 'fauxqs', 'dist', 'sqs', 'sqsStore.js');
    if (existsSync(file)) return file;
    if (path.dirname(dir) === dir) throw new Error('fauxqs (dist/sqs/sqsStore.js) not found');
  }
}

let enabled = false;

/**
 * Makes fauxqs hand out several messages of one FIFO group per receive, in the group's order, as
 * SQS does (up to 10 per ReceiveMessage; the group stays locked while any of them is in flight).
 * fauxqs 2.4 takes one message per group and locks it (docs/local-aws.md, "the one known gap"),
 * so the local poller never builds a batch with two records of one group, and a function that
 * coalesces a group's records (port events, a host's `vip.claim`s) never does it locally. The
 * kernel VIP bed turns this on: a keepalived failover sends four claims from one host, and what
 * it measures is how many commits stand before the one that matters.
 *
 * It wraps fauxqs's own `dequeueFifo` rather than copying it: after fauxqs's pass (one message of
 * each unlocked group), every group it took from is unlocked for one more pass at a time while
 * all others stay locked, so each pass takes that group's next message (redrive and visibility
 * included); the lock counts one per message in flight, as fauxqs's delete and visibility
 * changes expect. Process-wide and idempotent: fauxqs runs in this process.
 */
export async function deliverFifoGroupsInBatches(): Promise<void> {
  if (enabled) return;
  const { SqsQueue } = (await import(pathToFileURL(sqsStoreModule()).href)) as {
    SqsQueue: { prototype: FauxqsQueue };
  };
  const proto = SqsQueue.prototype;
  const original = proto.dequeueFifo;
  if (typeof original !== 'function') throw new Error('fauxqs SqsQueue.dequeueFifo not found');
  proto.dequeueFifo = function (this: FauxqsQueue, maxCount, visibilityTimeout, dlqResolver) {
    const count = Math.min(maxCount, 10);
    const out = original.call(this, count, visibilityTimeout, dlqResolver);
    const groups = [
      ...new Set(out.map((r) => this.inflightMessages.get(r.ReceiptHandle)?.message.messageGroupId)),
    ];
    for (const group of groups) {
      if (group === undefined) continue;
      while (out.length < count && (this.fifoMessages.get(group)?.length ?? 0) > 0) {
        const locks = this.fifoLockedGroups.get(group) ?? 0;
        this.fifoLockedGroups.delete(group);
        // Every other group with messages is locked now (fauxqs's pass took from each unlocked one).
        const next = original.call(this, 1, visibilityTimeout, dlqResolver);
        this.fifoLockedGroups.set(group, locks + next.length);
        if (locks + next.length === 0) this.fifoLockedGroups.delete(group);
        if (next.length === 0) break;
        out.push(...next);
      }
    }
    return out;
  };
  enabled = true;
}
