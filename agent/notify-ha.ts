/**
 * keepalived's notify hook, as a program: puts `ha.state` events on the controller's HA queue.
 * - one transition: `notify_master "hook MASTER"` runs a script that execs
 *   `node notify-ha.mjs ... --state "$1" --at-ns "$t"`;
 * - every transition: `vrrp_notify_fifo_script` runs `node notify-ha.mjs ... --follow` with the
 *   FIFO as the last argument (keepalived adds it), for the life of keepalived.
 * Nothing it receives is evaluated by a shell; every value is validated (parse-notify-args.ts).
 * Logs JSON lines to stderr. Exit codes: 0 done, 2 invalid arguments (nothing sent), 1 a send failed.
 *
 * The failover test bundles it with esbuild: a bundled start plus one SendMessage takes ~150 ms on
 * an idle 2-core machine, against ~600 ms through tsx (docs/dataplane.md §3).
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createSqsClient } from './create-sqs-client.js';
import { followNotifyFifo } from './follow-notify-fifo.js';
import { NOTIFY_USAGE, type NotifyMode, type NotifyTarget, parseNotifyArgs } from './parse-notify-args.js';
import { sendHaState } from './send-ha-state.js';

const now = () => performance.timeOrigin + performance.now();

/** One JSON line in the controller's log schema (agent/create-logger.ts), plus the epoch-ms `t`. */
function log(fields: Record<string, unknown>): void {
  const { level, msg, ...rest } = fields;
  const t = Math.round(now() * 1000) / 1000;
  const line = {
    level: String(level).toUpperCase(),
    message: msg,
    service: 'l2pop-notify-ha',
    timestamp: new Date(Math.floor(t)).toISOString(),
    t,
    ...rest,
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

async function run(target: NotifyTarget, mode: NotifyMode): Promise<number> {
  const client = createSqsClient(target);
  try {
    if (mode.kind === 'once') {
      const started = now();
      await sendHaState(client, target.queueUrl, mode.event);
      // `boot_ms`: process start to the send; `send_ms`: the SendMessage round trip.
      log({
        level: 'info',
        msg: 'sent',
        ...mode.event,
        boot_ms: Math.round(started - performance.timeOrigin),
        send_ms: Math.round(now() - started),
      });
      return 0;
    }
    // keepalived sends SIGTERM when it stops, then writes the STOP transitions and closes the
    // FIFO: keep reading until it is closed, so the last transitions are still reported.
    process.on('SIGTERM', () =>
      log({ level: 'info', msg: 'sigterm: reading until keepalived closes the FIFO' }),
    );
    const lines = createInterface({
      input: createReadStream(mode.fifo),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    log({ level: 'info', msg: 'following', fifo: mode.fifo, routerId: target.routerId, host: target.host });
    const send = (event: Parameters<typeof sendHaState>[2]) => sendHaState(client, target.queueUrl, event);
    const counts = await followNotifyFifo(target, mode.instance, { lines, send, now, log });
    log({ level: 'info', msg: 'fifo_closed', ...counts });
    return counts.failed > 0 ? 1 : 0;
  } finally {
    client.destroy();
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseNotifyArgs>;
  try {
    parsed = parseNotifyArgs(process.argv.slice(2));
  } catch (err) {
    log({ level: 'error', msg: 'invalid_arguments', error: (err as Error).message });
    process.stderr.write(`${NOTIFY_USAGE}\n`);
    return 2;
  }
  try {
    return await run(parsed.target, parsed.mode);
  } catch (err) {
    log({ level: 'error', msg: 'send_failed', error: String(err) });
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log({ level: 'fatal', msg: 'crashed', error: String((err as Error)?.stack ?? err) });
    process.exitCode = 1;
  },
);
