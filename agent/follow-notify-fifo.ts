import type { HaStateEvent } from '../src/contracts/events.js';
import {
  haStateEvent,
  INSTANCE_NAME,
  isKeepalivedState,
  type KeepalivedState,
  type NotifyTarget,
} from './parse-notify-args.js';

export interface FollowDeps {
  /** The FIFO's lines, in order; ends when keepalived closes it. */
  readonly lines: AsyncIterable<string>;
  readonly send: (event: HaStateEvent) => Promise<void>;
  /** Epoch milliseconds (sub-millisecond). */
  readonly now: () => number;
  readonly log: (fields: Record<string, unknown>) => void;
}

/** keepalived's FIFO line: `INSTANCE "VR_1" MASTER 50` (doc/samples/sample_notify_fifo.sh). */
const LINE = /^INSTANCE "([^"]*)" ([A-Z]+) (\d{1,3})$/;

export function parseFifoLine(line: string): { instance: string; state: KeepalivedState } | null {
  const m = LINE.exec(line);
  if (!m || !INSTANCE_NAME.test(m[1] as string) || !isKeepalivedState(m[2])) return null;
  return { instance: m[1] as string, state: m[2] };
}

/**
 * The long-running form of the notify hook: keepalived's `vrrp_notify_fifo_script` starts it once,
 * and each transition is one line on the FIFO, so a failover costs a FIFO write and one
 * SendMessage on a warm connection instead of a process start (docs/dataplane.md §3). Each line is
 * stamped when read, and the stamp is kept strictly increasing (a per-process sequence on top of
 * the wall clock), so two transitions in one microsecond, or a clock step back, still order.
 * Sends are sequential, so the HA queue's group holds the transitions in the order they happened.
 * Lines of other instances and lines it cannot parse are logged and skipped (GROUP lines too).
 */
export async function followNotifyFifo(
  target: NotifyTarget,
  instance: string | undefined,
  deps: FollowDeps,
): Promise<{ sent: number; skipped: number; failed: number }> {
  const counts = { sent: 0, skipped: 0, failed: 0 };
  let lastSeq = 0;
  for await (const raw of deps.lines) {
    const readAt = deps.now();
    const line = parseFifoLine(raw.trim());
    if (!line || (instance !== undefined && line.instance !== instance)) {
      counts.skipped++;
      deps.log({ level: 'warn', msg: 'skipped', line: raw.slice(0, 120) });
      continue;
    }
    lastSeq = Math.max(Math.floor(readAt * 1000), lastSeq + 1);
    const event = haStateEvent(target, line.state, lastSeq);
    try {
      await deps.send(event);
      counts.sent++;
      deps.log({ level: 'info', msg: 'sent', ...event, send_ms: Math.round(deps.now() - readAt) });
    } catch (err) {
      // The SDK already retried. The next transition supersedes this one; the controller keeps
      // the last state it has until then (docs/dataplane.md §2).
      counts.failed++;
      deps.log({ level: 'error', msg: 'send_failed', ...event, error: String(err) });
    }
  }
  return counts;
}
