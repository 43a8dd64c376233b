import { readFileSync } from 'node:fs';
import type { AgentLogLine } from './agent-fleet.js';
import type { Invocation } from './local-controller.js';
import type { NotifyLine } from './notify-log.js';

/**
 * Where master-binding's failover time goes after VRRP, each from the new master's notify stamp:
 *
 *   notify ──sender boot + SendMessage──> sent ──poller + handler + fan-out──> handled ──agent long poll + iproute2──> applied
 */
export interface ControlPlaneTimes {
  /** The sender's own process start-up (node + bundle), from its log. */
  readonly sender_boot_ms: number | null;
  /** Notify stamp to the `ha.state` message accepted by SQS. */
  readonly notify_to_sent_ms: number | null;
  /** SQS accept to the HA function's invocation settled (facts written, commands published). */
  readonly sent_to_handled_ms: number | null;
  /** Notify stamp to the last agent command applied in the window. */
  readonly last_apply_after_notify_ms: number | null;
  /** Agent commands applied in the window, all agents. */
  readonly commands: number;
}

interface SentLine {
  readonly t: number;
  readonly message: string;
  readonly host?: string;
  readonly state?: string;
  readonly seq?: number;
  readonly boot_ms?: number;
}

function senderLines(file: string): SentLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as SentLine;
      return typeof parsed?.t === 'number' ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

const round = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n));

export function controlPlaneTimes(input: {
  readonly promoted: NotifyLine | undefined;
  readonly host: string;
  readonly senderLog: string;
  readonly invocations: readonly Invocation[];
  readonly agentLogs: readonly AgentLogLine[];
  readonly until: number;
}): ControlPlaneTimes {
  const { promoted } = input;
  if (!promoted) {
    return {
      sender_boot_ms: null,
      notify_to_sent_ms: null,
      sent_to_handled_ms: null,
      last_apply_after_notify_ms: null,
      commands: 0,
    };
  }
  // The sender's seq is its transition stamp in µs: the hook's own (`exec` mode) or the moment
  // it read the FIFO line (`fifo` mode), which can precede the hook's stamp by a little.
  const sent = senderLines(input.senderLog).find(
    (l) =>
      l.message === 'sent' &&
      l.host === input.host &&
      l.state === 'active' &&
      (l.seq ?? 0) / 1000 > promoted.t - 100,
  );
  const handled = sent
    ? input.invocations.find((i) => i.fn === 'ha-events' && i.records > 0 && i.t > sent.t)
    : undefined;
  const applies = input.agentLogs.filter(
    (l) => l.message === 'applied' && l.t > promoted.t && l.t < input.until,
  );
  const last = applies.length > 0 ? Math.max(...applies.map((l) => l.t)) : null;
  return {
    sender_boot_ms: round(sent?.boot_ms),
    notify_to_sent_ms: round(sent ? sent.t - promoted.t : null),
    sent_to_handled_ms: round(sent && handled ? handled.t - sent.t : null),
    last_apply_after_notify_ms: round(last === null ? null : last - promoted.t),
    commands: applies.length,
  };
}
