import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type AppliedReporter, appliedEvent, createAppliedReporter } from '../../agent/applied-reporter.js';
import { agentQueueName } from '../../src/adapters/aws/agent-queues.js';
import { CORRELATION_ATTRIBUTE, ORIGIN_ATTRIBUTE } from '../../src/adapters/aws/dynamo-receipt-store.js';
import { writeAgentState } from '../../src/cli/agent-state-file.js';
import type { AgentReportEvent } from '../../src/contracts/events.js';
import type { ApplyAction } from '../../src/core/agent-protocol.js';
import type { AgentTable } from '../../src/core/types.js';
import { describeRefusal } from './reference-agent-check.js';
import { computeSimAuditEvents } from './sim-audit.js';
import { applyActionOf, createStrictAgents, type StrictOutcome } from './strict-agents.js';

export interface FleetOptions {
  readonly sqs: SQSClient;
  /** The stack's agent queue prefix (`<stack>-agent-cmd-`). */
  readonly prefix: string;
  /** Where agents send `agent.report` and `agent.resync`. */
  readonly agentEventsUrl: string;
  readonly now?: () => number;
  /** Each agent writes what it holds to `<stateDir>/<host>.json` after every batch. */
  readonly stateDir?: string;
  readonly waitTimeSeconds?: number;
  /**
   * Each agent reports what it holds (`agent.applied`) this long after it applies commands,
   * coalescing what it applies meanwhile into one report; unset: no reports (the A/B runs, whose
   * message counts would otherwise include them).
   */
  readonly reportAppliedMs?: number;
  /** One structured line per applied command, with the correlation id the controller sent. */
  readonly log?: (line: Readonly<Record<string, unknown>>) => void;
  /**
   * Every live agent sends its drift audit (`agent.audit`, docs/drift-audit.md) this often, as the
   * reference agent's `--audit-ms`; unset: only when `audit(host)` is called.
   */
  readonly auditMs?: number;
}

/** An agent's table for one network changed (or it restarted and lost everything: `reset`). */
export interface ApplyRecord {
  readonly at: number;
  readonly host: string;
  readonly networkId: string;
  readonly action: ApplyAction | 'reset';
  readonly table: AgentTable;
}

interface SimAgent {
  report: AgentReportEvent;
  url: string | undefined;
  running: Promise<void> | undefined;
  abort: AbortController;
  /** The node is lost: the agent consumes nothing until a new boot id brings it back. */
  down: boolean;
  /** Networks with a resync in flight: no second one until a snapshot or leave arrives. */
  resyncing: Map<string, number>;
  /** Its coalesced `agent.applied` reports (reportAppliedMs), shared with the reference agent. */
  reporter: AppliedReporter | undefined;
  lastApplyAt: number;
  /** `eventType|strategy` -> the longest lag from the inbound event to this agent's apply, since the last report. */
  latencies: Map<string, number>;
}

const RESYNC_EXPIRY_MS = 5000;

/** The `l2pop-origin` attribute of a command, if well formed. */
function parseOrigin(
  raw: string | undefined,
): { at: number; eventType: string; strategy: string } | undefined {
  if (!raw) return undefined;
  try {
    const o = JSON.parse(raw) as { at?: unknown; eventType?: unknown; strategy?: unknown };
    if (typeof o.at === 'number' && typeof o.eventType === 'string' && typeof o.strategy === 'string')
      return { at: o.at, eventType: o.eventType, strategy: o.strategy };
  } catch {
    // not ours: no lag measured
  }
  return undefined;
}

/**
 * Simulated L2 agents on their real per-agent FIFO queues. Each one reports itself (the
 * `agent.report` a real agent sends at start, with its boot id), long-polls its own queue, parses
 * every command with the wire schema, applies it with the shared protocol function and, on a
 * version gap, asks for a snapshot with `agent.resync` (once per network until one arrives).
 * A new boot id is a restart: the agent forgets its tables. `down` is a node loss: the agent
 * stops consuming, and what it received but did not apply goes back to the queue.
 */
export function createSimFleet(options: FleetOptions) {
  const now = options.now ?? (() => performance.now());
  const strict = createStrictAgents();
  const tables = strict.tables;
  const agents = new Map<string, SimAgent>();
  const applies: ApplyRecord[] = [];
  /** `vniWaits`: commands refused while another network held their VNI (`StrictOutcome.waiting`). */
  const stats = { received: 0, bytes: 0, gaps: 0, resyncs: 0, vniWaits: 0 };
  /** Commands refused and SQS calls that failed, for the run's report. */
  const errors: string[] = [];
  let lastActivity = now();

  const sendEvent = (host: string, body: object) =>
    options.sqs.send(
      new SendMessageCommand({
        QueueUrl: options.agentEventsUrl,
        MessageBody: JSON.stringify(body),
        MessageGroupId: host,
        MessageDeduplicationId: randomUUID(),
      }),
    );

  const queueUrl = async (a: SimAgent, signal: AbortSignal): Promise<string | undefined> => {
    const QueueName = agentQueueName(options.prefix, a.report.host);
    while (!signal.aborted) {
      try {
        const res = await options.sqs.send(new GetQueueUrlCommand({ QueueName }), { abortSignal: signal });
        if (res.QueueUrl) return res.QueueUrl;
      } catch (err) {
        if (signal.aborted) return undefined;
        if (!String((err as Error).name).includes('QueueDoesNotExist')) throw err;
      }
      // the agent-events function creates the queue on the agent's first report
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  };

  const persist = async (a: SimAgent) => {
    if (!options.stateDir) return;
    const host = a.report.host;
    const networks: Record<string, { version: number; table: AgentTable }> = {};
    for (const n of tables.networks(host))
      networks[n] = { version: tables.version(host, n), table: tables.table(host, n) };
    await writeAgentState(options.stateDir, {
      host,
      bootId: a.report.bootId,
      tunnelIp: a.report.tunnelIp,
      capabilities: a.report.capabilities,
      updatedAt: new Date().toISOString(),
      networks,
    });
  };

  const appliedReporter = (a: SimAgent): AppliedReporter | undefined => {
    if (options.reportAppliedMs === undefined) return undefined;
    return createAppliedReporter({
      intervalMs: options.reportAppliedMs,
      build: () => {
        const host = a.report.host;
        const networks = new Map<string, number>();
        for (const n of tables.heldNetworks(host)) networks.set(n, tables.version(host, n));
        return appliedEvent({ host, bootId: a.report.bootId, networks, at: a.lastApplyAt });
      },
      send: async (event) => {
        await sendEvent(event.host, event);
      },
      onError: (err) => errors.push(`${a.report.host}: agent.applied: ${(err as Error).message}`),
    });
  };

  const apply = async (a: SimAgent, messages: readonly Message[]) => {
    const host = a.report.host;
    for (const m of messages) {
      let outcome: StrictOutcome;
      try {
        outcome = strict.deliver(host, a.report.tunnelIp, m.Body ?? '');
      } catch (err) {
        // an agent without a tunnel IP: the wire schema refused it, a controller bug to report
        errors.push(`${host}: refused a malformed command: ${(err as Error).message.slice(0, 200)}`);
        continue;
      }
      const refusal = describeRefusal(outcome);
      // the reference agent would refuse it, or some entries of it: a fact the controller should have rejected
      if (refusal) errors.push(`${host}: the reference agent refuses a command: ${refusal}`);
      const action = applyActionOf(outcome);
      if (outcome.kind === 'rejected' || action === undefined) {
        if (outcome.kind === 'rejected' && outcome.waiting) stats.vniWaits++;
        continue;
      }
      stats.received++;
      stats.bytes += Buffer.byteLength(m.Body ?? '', 'utf8');
      const networkId = outcome.networkId;
      if (action === 'applied' && outcome.command !== 'delta') a.resyncing.delete(networkId);
      applies.push({ at: now(), host, networkId, action, table: tables.table(host, networkId) });
      options.log?.({
        level: 'INFO',
        message: `command ${action}`,
        service: 'l2pop-agent',
        timestamp: new Date().toISOString(),
        host,
        networkId,
        version: outcome.version,
        kind: outcome.command,
        correlationId: m.MessageAttributes?.[CORRELATION_ATTRIBUTE]?.StringValue,
        // the inbound event type that caused it (`agent.audit`: a drift repair)
        originEventType: parseOrigin(m.MessageAttributes?.[ORIGIN_ATTRIBUTE]?.StringValue)?.eventType,
      });
      if (action === 'applied') {
        a.lastApplyAt = Date.now();
        const origin = parseOrigin(m.MessageAttributes?.[ORIGIN_ATTRIBUTE]?.StringValue);
        if (origin) {
          const k = `${origin.eventType}|${origin.strategy}`;
          a.latencies.set(k, Math.max(a.latencies.get(k) ?? 0, Math.max(0, a.lastApplyAt - origin.at)));
        }
      }
    }
    a.reporter?.noteApplied();
    // once per network and batch, as a gap was counted before
    const asked = new Map<string, boolean>();
    for (const r of strict.takeResyncs(host))
      asked.set(r.networkId, r.vniFreed || asked.get(r.networkId) === true);
    for (const [networkId, vniFreed] of asked) {
      stats.gaps++;
      // the VNI it waited for is free: asked again at once, as the reference agent does
      if (vniFreed) a.resyncing.delete(networkId);
      const since = a.resyncing.get(networkId);
      if (since !== undefined && now() - since < RESYNC_EXPIRY_MS) continue;
      a.resyncing.set(networkId, now());
      stats.resyncs++;
      await sendEvent(host, { type: 'agent.resync', v: 1, host, networkId, reason: 'gap' });
    }
    await persist(a);
  };

  /** One receive, apply and delete. */
  const step = async (a: SimAgent, url: string, signal: AbortSignal): Promise<'stop' | 'next'> => {
    const res = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: [CORRELATION_ATTRIBUTE, ORIGIN_ATTRIBUTE],
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return 'next';
    const entries = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' }));
    if (signal.aborted) {
      // the node died with these in hand: SQS makes them visible again, as after a visibility timeout
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: entries.map((e) => ({ ...e, VisibilityTimeout: 0 })),
        }),
      );
      return 'stop';
    }
    lastActivity = now();
    await apply(a, messages);
    await options.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    lastActivity = now();
    return 'next';
  };

  const loop = async (a: SimAgent) => {
    const signal = a.abort.signal;
    a.url ??= await queueUrl(a, signal);
    while (a.url && !signal.aborted) {
      try {
        if ((await step(a, a.url, signal)) === 'stop') return;
      } catch (err) {
        if (signal.aborted) return;
        // a failed SQS call: the message stays in the queue; try again shortly
        errors.push(`${a.report.host}: ${(err as Error).name}: ${(err as Error).message.slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  const start = (a: SimAgent) => {
    a.down = false;
    a.abort = new AbortController();
    a.running = loop(a).catch((err: unknown) => {
      if (!a.abort.signal.aborted) throw err;
    });
  };

  const stopAgent = async (a: SimAgent) => {
    a.reporter?.cancel();
    a.abort.abort();
    await a.running;
    a.running = undefined;
  };

  const audit = async (host: string) => {
    const a = agents.get(host);
    if (!a || a.down) return [];
    const events = computeSimAuditEvents(tables, a.report, Date.now());
    for (const e of events) await sendEvent(host, e);
    return events;
  };
  const auditTimer =
    options.auditMs === undefined
      ? undefined
      : setInterval(() => {
          for (const host of agents.keys())
            audit(host).catch((err) => errors.push(`${host}: agent.audit: ${(err as Error).message}`));
        }, options.auditMs);

  return {
    tables,
    applies,
    stats,
    errors,
    lastActivity: () => lastActivity,
    /**
     * An agent reports: the first report starts it, a new boot id restarts it (tables lost, and a
     * node that was down comes back), anything else is a configuration change.
     */
    async report(report: AgentReportEvent): Promise<void> {
      const known = agents.get(report.host);
      if (!known) {
        const a: SimAgent = {
          report,
          url: undefined,
          running: undefined,
          abort: new AbortController(),
          down: false,
          resyncing: new Map(),
          reporter: undefined,
          lastApplyAt: 0,
          latencies: new Map(),
        };
        a.reporter = appliedReporter(a);
        agents.set(report.host, a);
        await sendEvent(report.host, report);
        start(a);
        return;
      }
      if (known.report.bootId !== report.bootId) {
        await stopAgent(known);
        for (const networkId of tables.networks(report.host))
          applies.push({ at: now(), host: report.host, networkId, action: 'reset', table: {} });
        strict.reset(report.host);
        known.resyncing.clear();
        known.report = report;
        await sendEvent(report.host, report);
        start(known);
        await persist(known);
        return;
      }
      known.report = report;
      await sendEvent(report.host, report);
    },
    /**
     * A node loss, at once: the agent stops consuming its queue (a receive in flight is handed
     * back to SQS when it returns); its tables stay as they were.
     */
    down(host: string): void {
      const a = agents.get(host);
      if (!a) return;
      a.down = true;
      a.abort.abort();
    },
    isDown: (host: string) => agents.get(host)?.down === true,
    hosts: () => [...agents.keys()].sort(),
    liveHosts: () =>
      [...agents.values()]
        .filter((a) => !a.down)
        .map((a) => a.report.host)
        .sort(),
    reportOf: (host: string) => agents.get(host)?.report,
    queueUrlOf: (host: string) => agents.get(host)?.url,
    table: (host: string, networkId: string) => tables.table(host, networkId),
    /** The agent sends its drift audit now (`agent.audit`, docs/drift-audit.md); returns what it sent. */
    audit,
    async stop(): Promise<void> {
      if (auditTimer) clearInterval(auditTimer);
      await Promise.all([...agents.values()].map(stopAgent));
    },
  };
}

export type SimFleet = ReturnType<typeof createSimFleet>;
