import { AsyncLocalStorage } from 'node:async_hooks';
import type { FactStore } from '../app/ports.js';

/**
 * The correlation id of the inbound event being handled: the sender's `correlation-id` message
 * attribute, or else the SQS message id. It is set around each record's use-case, stamped on the
 * outbox records the use-case commits (so a later flush, by another event or the sweeper, still
 * names it), sent with every agent command as a message attribute, and logged by the agent.
 */
const current = new AsyncLocalStorage<string>();

export function withCorrelationId<T>(id: string, fn: () => Promise<T>): Promise<T> {
  return current.run(id, fn);
}

export function currentCorrelationId(): string | undefined {
  return current.getStore();
}

/** A store whose commits stamp the current correlation id on every new outbox record. */
export function stampCorrelation(store: FactStore): FactStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'commit') return Reflect.get(target, prop, receiver);
      return (commit: Parameters<FactStore['commit']>[0]) => {
        const correlationId = currentCorrelationId();
        if (!correlationId || commit.outbox.length === 0) return target.commit(commit);
        return target.commit({ ...commit, outbox: commit.outbox.map((o) => ({ ...o, correlationId })) });
      };
    },
  });
}
