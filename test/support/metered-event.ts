import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { OutboxRecord } from '../../src/app/ports.js';
import type { Deps, EventResult } from '../../src/app/reconcile.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { Port } from '../../src/core/types.js';
import type { DynamoUsage } from '../../tools/support/dynamo-meter.js';
import type { TestStack } from './test-stack.js';

export interface MeteredEvent {
  readonly result: EventResult;
  /** The DynamoDB requests, rounds and capacity of this event alone. */
  readonly usage: DynamoUsage;
  readonly published: readonly OutboxRecord[];
}

/**
 * One event through the dispatcher on the stack's DynamoDB Local table, the meter reset just
 * before it: its result, its DynamoDB usage, and the outbox records it published (kept unless
 * `deps` brings its own publisher). `deps` adds to or replaces the store and the publisher.
 */
export async function meterEvent(
  stack: TestStack,
  event: InboundEvent,
  deps: Partial<Deps> = {},
): Promise<MeteredEvent> {
  const published: OutboxRecord[] = [];
  const store = createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName });
  stack.clients.meter.reset();
  const result = await dispatchEvent(
    { store, publisher: { publish: async (r) => void published.push(r) }, ...deps },
    event,
  );
  return { result, usage: stack.clients.meter.usage(), published };
}

/** A `port.upsert` of `port` (as seeded) or its `port.delete`, in its VXLAN network of `segmentId`. */
export const seededPortEvent = (
  type: 'port.upsert' | 'port.delete',
  port: Port,
  segmentId: number,
): InboundEvent =>
  parseInboundEvent(
    JSON.stringify({
      type,
      v: 1,
      network: { id: port.networkId, networkType: 'vxlan', segmentId },
      ...(type === 'port.upsert'
        ? { port }
        : { portId: port.id, networkId: port.networkId, revision: port.revision }),
    }),
  );
