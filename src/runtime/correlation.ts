import { AsyncLocalStorage } from 'node:async_hooks';
import type { CommandPublisher, FactStore, OutboxRecord } from '../app/ports.js';
import { strategyLabel } from './strategy-label.js';

/**
 * The correlation id of the inbound event being handled: the sender's `correlation-id` message
 * attribute, or else the SQS message id. It is set around each record's use-case, stamped on the
 * outbox records the use-case commits (so a later flush, by another event or the sweeper, still
 * names it), sent with every agent command as a message attribute, and logged by the agent.
 */
export interface EventContext {
  readonly correlationId: string;
  /** When the inbound event was sent (SQS SentTimestamp, ms), and its type: the agents measure their apply lag from it. */
  readonly sentAt: number;
  readonly eventType: string;
}

const current = new AsyncLocalStorage<EventContext>();

export function withEventContext<T>(context: EventContext, fn: () => Promise<T>): Promise<T> {
  return current.run(context, fn);
}

export function currentEventContext(): EventContext | undefined {
  return current.getStore();
}

/** Each outbox record a commit stamped, by the record it was given: the use-case publishes the latter. */
const stampedRecords = new WeakMap<OutboxRecord, OutboxRecord>();

/**
 * A publisher that sends a record as `stampCorrelation` committed it: a use-case publishes the
 * records it just committed without reading them back (docs/data-model.md, "Cost per event").
 */
export function publishStamped<P extends CommandPublisher>(publisher: P): P {
  return {
    ...publisher,
    publish: (record: OutboxRecord) => publisher.publish(stampedRecords.get(record) ?? record),
  };
}

/** A store whose commits stamp the current correlation id and origin on every new outbox record. */
export function stampCorrelation(store: FactStore): FactStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'commit') return Reflect.get(target, prop, receiver);
      return (commit: Parameters<FactStore['commit']>[0]) => {
        const ctx = currentEventContext();
        if (!ctx || commit.outbox.length === 0) return target.commit(commit);
        const strategies = new Map(commit.networks.map((n) => [n.value.network.id, n.value.strategies]));
        return target.commit({
          ...commit,
          outbox: commit.outbox.map((o) => {
            const stamped: OutboxRecord = {
              ...o,
              correlationId: ctx.correlationId,
              origin: {
                at: ctx.sentAt,
                eventType: ctx.eventType,
                strategy: strategyLabel(strategies.get(o.networkId) ?? {}),
              },
            };
            stampedRecords.set(o, stamped);
            return stamped;
          }),
        });
      };
    },
  });
}
