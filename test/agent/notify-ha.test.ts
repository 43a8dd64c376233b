import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { followNotifyFifo, parseFifoLine } from '../../agent/follow-notify-fifo.js';
import { type NotifyTarget, parseNotifyArgs } from '../../agent/parse-notify-args.js';
import type { HaStateEvent } from '../../src/contracts/events.js';
import { haStateV1 } from '../../src/contracts/events.js';
import { haState } from './fixtures.js';

const COMMON = [
  ...[
    '--router-id',
    'router-1',
    '--host',
    'net2',
    '--queue-url',
    'http://127.0.0.1:4566/000000000000/ha.fifo',
  ],
  ...['--sqs-endpoint', 'http://127.0.0.1:4566', '--sqs-socket', '/run/l2pop/sqs.sock'],
];
const TARGET: NotifyTarget = {
  routerId: 'router-1',
  host: 'net2',
  term: 0,
  queueUrl: 'http://unused',
  endpoint: undefined,
  socketPath: undefined,
  region: 'us-east-1',
};

describe('parseNotifyArgs (keepalived notify hook arguments)', () => {
  it('turns one transition into an ha.state event ordered by the hook stamp in µs', () => {
    const { target, mode } = parseNotifyArgs([
      ...COMMON,
      '--state',
      'MASTER',
      '--at-ns',
      '1795581109484837994',
    ]);
    expect(target).toMatchObject({ routerId: 'router-1', host: 'net2', socketPath: '/run/l2pop/sqs.sock' });
    expect(mode).toEqual({
      kind: 'once',
      event: haState({ seq: 1795581109484837 }),
    });
  });

  it.each([
    ['MASTER', 'active'],
    ['BACKUP', 'standby'],
    ['FAULT', 'fault'],
    ['STOP', 'fault'],
  ])('maps keepalived %s to %s', (state, expected) => {
    const { mode } = parseNotifyArgs([...COMMON, '--state', state, '--at-ns', '1795581109484837994']);
    expect(mode.kind === 'once' && mode.event.state).toBe(expected);
  });

  it('takes the FIFO path last in --follow mode, as keepalived appends it', () => {
    const { mode } = parseNotifyArgs([...COMMON, '--follow', '--instance', 'VR_1', '/run/l2pop/rtr1.fifo']);
    expect(mode).toEqual({ kind: 'follow', fifo: '/run/l2pop/rtr1.fifo', instance: 'VR_1' });
  });

  it.each([
    [['--state', 'MASTER'], /--at-ns/],
    [['--state', 'master', '--at-ns', '1795581109484837994'], /--state/],
    [['--state', 'MASTER; reboot', '--at-ns', '1795581109484837994'], /--state/],
    [['--state', '__proto__', '--at-ns', '1795581109484837994'], /--state/],
    [['--state', 'MASTER', '--at-ns', '$(date +%s%N)'], /--at-ns/],
    [['--state', 'MASTER', '--at-ns', '99999999999999999999'], /--at-ns/],
    [['--state', 'MASTER', '--at-ns', '1795581109484837994', '/tmp/x'], /unexpected/],
    [['--follow', '--state', 'MASTER', '/tmp/x.fifo'], /no --state/],
    [['--follow'], /exactly one FIFO/],
    [['--follow', 'relative.fifo'], /--fifo/],
    [['--follow', '/tmp/../etc/passwd'], /--fifo/],
    [['--follow', '--instance', 'VR 1', '/tmp/x.fifo'], /--instance/],
    [['--state', 'MASTER', '--at-ns', '1795581109484837994', '--term', '-1'], /--term/],
    [['--state', 'MASTER', '--at-ns', '1795581109484837994', '--sqs-socket', 'sock'], /--sqs-socket/],
    [['--state', 'MASTER', '--at-ns', '1795581109484837994', '--evil'], /Unknown option/],
  ])('rejects %j before anything is sent', (extra, message) => {
    expect(() => parseNotifyArgs([...COMMON, ...extra])).toThrow(message);
  });

  it('never builds an event from hostile values: it throws or the event passes the contract', () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('; rm -rf /', '$(id)', '`id`', '--help', '\n', 'MASTER\nBACKUP', 'a'.repeat(200)),
    );
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (routerId, host, state, atNs) => {
        let event: HaStateEvent | undefined;
        try {
          const argv = [...COMMON.slice(4), '--router-id', routerId, '--host', host];
          const { mode } = parseNotifyArgs([...argv, '--state', state, '--at-ns', atNs]);
          event = mode.kind === 'once' ? mode.event : undefined;
        } catch (err) {
          return err instanceof RangeError || err instanceof TypeError;
        }
        return event !== undefined && haStateV1.safeParse(event).success && /^\d{19}$/.test(atNs);
      }),
      { numRuns: 500 },
    );
  });
});

describe('followNotifyFifo (keepalived vrrp_notify_fifo)', () => {
  it('parses keepalived FIFO lines strictly', () => {
    expect(parseFifoLine('INSTANCE "VR_1" MASTER 50')).toEqual({ instance: 'VR_1', state: 'MASTER' });
    for (const bad of ['GROUP "G" MASTER 50', 'INSTANCE "VR 1" MASTER 50', 'INSTANCE "VR_1" master 50', ''])
      expect(parseFifoLine(bad)).toBeNull();
  });

  it('stamps each line when read, strictly increasing, and sends in order; skips what it cannot use', async () => {
    const sent: HaStateEvent[] = [];
    const lines = [
      'INSTANCE "VR_1" BACKUP 50',
      'INSTANCE "VR_1" MASTER 50',
      'INSTANCE "VR_2" MASTER 50',
      '$(reboot)',
      'INSTANCE "VR_1" STOP 50',
    ];
    async function* source() {
      yield* lines;
    }
    const counts = await followNotifyFifo(TARGET, 'VR_1', {
      lines: source(),
      send: async (e) => {
        sent.push(e);
        if (e.state === 'active') throw new Error('throttled');
      },
      now: () => 1_795_581_109_484.5, // a clock that does not move: the sequence still does
      log: () => {},
    });
    expect(counts).toEqual({ sent: 2, skipped: 2, failed: 1 });
    expect(sent.map((e) => e.state)).toEqual(['standby', 'active', 'fault']);
    expect(sent.map((e) => e.seq)).toEqual([1795581109484500, 1795581109484501, 1795581109484502]);
  });
});
