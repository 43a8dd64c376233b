import type { AgentTransport } from './agent-transport.js';
import { createAppliedReporter } from './applied-reporter.js';
import type { Agent } from './create-agent.js';

/** The default `--applied-report-ms`: at most one `agent.applied` a second per agent (the contract's rate). */
export const DEFAULT_APPLIED_REPORT_MS = 1000;
/**
 * The default `--heartbeat-ms`: an idle agent repeats its `agent.applied` every hour, so the
 * controller, which deletes the queue of an agent not heard from for a day (by default), keeps it.
 */
export const DEFAULT_HEARTBEAT_MS = 3_600_000;
/**
 * The default `--audit-ms`: one `agent.audit` a minute per agent (docs/drift-audit.md). Drift is
 * then seen within a minute, for one small message per agent per minute.
 */
export const DEFAULT_AUDIT_MS = 60_000;

export interface RunAgentOptions {
  /** Milliseconds from an apply to the `agent.applied` report coalescing it with later ones. */
  readonly appliedReportMs: number;
  /** Milliseconds between two reports of an idle agent (a heartbeat); default DEFAULT_HEARTBEAT_MS. */
  readonly heartbeatMs?: number;
  /** A report that could not be sent (the next apply reports again). */
  readonly onReportError?: (err: unknown) => void;
  /** Milliseconds between two `agent.audit` readings of the kernel; 0 or unset: no audit. */
  readonly auditMs?: number;
  /** An audit that could not be read or sent (the next period audits again). */
  readonly onAuditError?: (err: unknown) => void;
}

/** Runs one task at a time, in call order: an audit never reads the kernel in the middle of an apply. */
function createSerializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}

/**
 * The agent's loop: report once, then receive, handle and acknowledge until `signal` aborts.
 * Messages are handled strictly in order. On a `failed` one the rest of the batch is left
 * unacknowledged too: in a FIFO queue they come back after it, in order, instead of being applied
 * before it (which would only turn into a version gap). What it applies it reports as
 * `agent.applied`, at most one per `appliedReportMs`, and at least one per `heartbeatMs` (what keeps
 * its queue: docs/operations.md "Agent queue lifecycle"); a pending report is sent on stop. Every
 * `auditMs` it reads its kernel and sends `agent.audit` (docs/drift-audit.md).
 */
export async function runAgent(
  agent: Agent,
  transport: AgentTransport,
  signal: AbortSignal,
  options: RunAgentOptions = { appliedReportMs: DEFAULT_APPLIED_REPORT_MS },
): Promise<void> {
  const reporter = createAppliedReporter({
    intervalMs: options.appliedReportMs,
    build: () => agent.applied(),
    send: (event) => transport.send(event),
    onError: options.onReportError ?? (() => {}),
  });
  await transport.send(agent.report());
  const heartbeat = setInterval(() => reporter.noteApplied(), options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const serial = createSerializer();
  const auditOnce = async () => {
    try {
      for (const event of await serial(() => agent.audit())) await transport.send(event);
    } catch (err) {
      (options.onAuditError ?? (() => {}))(err);
    }
  };
  const audit = options.auditMs ? setInterval(() => void auditOnce(), options.auditMs) : undefined;
  try {
    while (!signal.aborted) {
      const batch = await transport.receive(signal);
      for (const message of batch) {
        const outcome = await serial(() => agent.handle(message.body, message.correlationId));
        if (outcome.kind === 'failed') break;
        await transport.ack(message);
        if (outcome.kind === 'applied') reporter.noteApplied();
      }
    }
  } finally {
    clearInterval(heartbeat);
    clearInterval(audit);
  }
  await reporter.flush();
}
