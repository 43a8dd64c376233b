import { describe, expect, it } from 'vitest';
import type { CommandPublisher, FailoverConvergence, OutboxRecord } from '../../src/app/ports.js';
import { trackFailovers } from '../../src/runtime/failover-tracking.js';

/**
 * The failover open (one UpdateItem) runs beside the publication of an `ha.state` record, not
 * before it: the commands leave after the commit's 3 rounds, not 4 (docs/dataplane.md §4.4). What
 * stays: the publication settles only when both have, a failed open or send fails it (the outbox
 * keeps the record and the retry re-sends it), and other records never open anything.
 */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const record = (eventType: string): OutboxRecord =>
  ({
    networkId: 'n1',
    key: '000000000007',
    version: 7,
    commands: [{ host: 'h1', command: {} }],
    correlationId: 'c1',
    origin: { at: 1, eventType, strategy: 'master-binding' },
  }) as unknown as OutboxRecord;

function fakes() {
  const log: string[] = [];
  const open = deferred<{ superseded: boolean }>();
  const send = deferred<void>();
  const failovers = {
    open: async () => {
      log.push('open started');
      const r = await open.promise;
      log.push('open settled');
      return r;
    },
    applied: async () => undefined,
  } as unknown as FailoverConvergence;
  const publisher: CommandPublisher = {
    publish: async () => {
      log.push('send started');
      await send.promise;
      log.push('send settled');
    },
  };
  return { log, open, send, failovers, publisher };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('trackFailovers', () => {
  it('sends an ha.state record without waiting for its failover to be opened, and settles after both', async () => {
    const f = fakes();
    const superseded: OutboxRecord[] = [];
    const published = trackFailovers(f.publisher, f.failovers, (r) => superseded.push(r)).publish(
      record('ha.state'),
    );
    let done = false;
    void published.then(() => {
      done = true;
    });
    await tick();
    expect(f.log).toEqual(['open started', 'send started']);
    f.send.resolve();
    await tick();
    expect(done).toBe(false);
    f.open.resolve({ superseded: true });
    await published;
    expect(f.log).toEqual(['open started', 'send started', 'send settled', 'open settled']);
    expect(superseded).toHaveLength(1);
  });

  it('fails the publication when the open fails, after the send has settled', async () => {
    const f = fakes();
    const published = trackFailovers(f.publisher, f.failovers, () => {}).publish(record('ha.state'));
    const outcome = published.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    f.open.reject(new Error('throttled'));
    await tick();
    expect(f.log).toEqual(['open started', 'send started']);
    f.send.resolve();
    expect(await outcome).toBe('throttled');
    expect(f.log).toContain('send settled');
  });

  it('fails the publication when the send fails, after the open has settled', async () => {
    const f = fakes();
    const published = trackFailovers(f.publisher, f.failovers, () => {}).publish(record('ha.state'));
    const outcome = published.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    f.send.reject(new Error('queue gone'));
    await tick();
    f.open.resolve({ superseded: false });
    expect(await outcome).toBe('queue gone');
    expect(f.log).toContain('open settled');
  });

  it('opens nothing for a record another event committed', async () => {
    const f = fakes();
    f.send.resolve();
    await trackFailovers(f.publisher, f.failovers, () => {}).publish(record('port.upsert'));
    expect(f.log).toEqual(['send started', 'send settled']);
  });
});
