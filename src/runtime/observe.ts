import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import type { EventResult, NetworkAapOverlap } from '../app/reconcile.js';
import type { AgentAppliedEvent } from '../contracts/events.js';
import type { InvalidInputError } from '../core/errors.js';
import type { Runtime } from './runtime.js';
import type { DynamoUsage } from './seams.js';
import { strategyLabel } from './strategy-label.js';

export { strategyLabel };

export interface RecordUsage {
  /** Only when a seam meters the function's DynamoDB client (the local stack, the tests). */
  readonly dynamo?: DynamoUsage;
  readonly sqs: { readonly calls: number; readonly messages: number };
}

/**
 * Per-event metrics get their own dimensions, so they are published as one EMF blob each, and
 * every blob carries `strategy` (docs/data-model.md, "Metrics"). One dimension set per blob: an
 * alarm that sums a metric over the namespace (Metrics Insights) counts each event once.
 */
export function emitMetrics(
  m: Metrics,
  dimensions: Record<string, string> & { strategy: string },
  values: Record<string, number>,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Count,
): void {
  m.clearDimensions();
  for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
  for (const [k, v] of Object.entries(values)) m.addMetric(k, unit, v);
  m.publishStoredMetrics();
}

function base(record: SQSRecord) {
  return {
    messageId: record.messageId,
    group: record.attributes.MessageGroupId,
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
  };
}

/**
 * A network whose planner's precondition failed was planned by the full recompute instead
 * (`planChange`, src/core/engine.ts): the event still took effect, so this is a WARN line and a
 * `PlannerFallbacks` count (dimension `changeKind`), never a failure or a DLQ message.
 */
export function observeFallbacks(
  rt: Pick<Runtime, 'logger' | 'eventMetrics'>,
  context: Record<string, unknown>,
  eventType: string,
  result: EventResult,
): void {
  const strategy = strategyLabel(result.strategies);
  for (const n of result.networks) {
    if (!n.fallback) continue;
    const [changeKind = 'unknown', reason = 'unknown'] = n.fallback.split('/');
    rt.logger.warn(`planner fallback: ${n.networkId} planned by the full recompute (${n.fallback})`, {
      ...context,
      eventType,
      networkId: n.networkId,
      changeKind,
      reason,
      strategy,
    });
    emitMetrics(rt.eventMetrics, { changeKind, strategy }, { PlannerFallbacks: 1 });
  }
}

/** One log line and one metric blob per processed event, both carrying the strategy. */
export function observeResult(
  rt: Runtime,
  record: SQSRecord,
  eventType: string,
  result: EventResult,
  usage: RecordUsage,
) {
  const strategy = strategyLabel(result.strategies);
  const commands = result.networks.reduce((n, x) => n + x.commands, 0);
  rt.logger.info(`${eventType} ${result.outcome}`, {
    ...base(record),
    eventType,
    outcome: result.outcome,
    strategy,
    strategies: result.strategies,
    networks: result.networks,
    ...(usage.dynamo ? { dynamo: usage.dynamo } : {}),
    sqs: usage.sqs,
  });
  emitMetrics(
    rt.eventMetrics,
    { eventType, outcome: result.outcome, strategy },
    {
      Events: 1,
      CommandsPlanned: commands,
      AgentMessages: usage.sqs.messages,
    },
  );
  observeFallbacks(rt, base(record), eventType, result);
  observeAudits(rt, base(record), result);
  observeVip(rt, base(record), result);
  observeRebuild(rt, base(record), result);
  observeOverlaps(rt, base(record), eventType, result.overlaps ?? []);
  if (result.splitBrain.length > 0) {
    rt.logger.error('split brain: more than one active claim, the newest wins', {
      ...base(record),
      routers: result.splitBrain,
      strategy,
    });
    emitMetrics(rt.eventMetrics, { strategy }, { SplitBrain: result.splitBrain.length });
  }
}

/**
 * The drift audit's outcomes (docs/drift-audit.md): an ERROR line naming the host and network and
 * a `DriftDetected` count for each repair sent, an ERROR line and a `DriftRepairFailing` count for
 * each pair whose repairs keep failing (the alarm). Dimensions name no host or network.
 */
export function observeAudits(
  rt: Pick<Runtime, 'logger' | 'eventMetrics'>,
  context: Record<string, unknown>,
  result: EventResult,
): void {
  for (const a of result.audits ?? []) {
    if (a.result === 'drift') {
      rt.logger.error(`drift: ${a.host} does not hold its desired view of ${a.networkId}; snapshot sent`, {
        ...context,
        host: a.host,
        networkId: a.networkId,
        repaired: a.repaired,
        strategy: 'none',
      });
      emitMetrics(rt.eventMetrics, { eventType: 'agent.audit', strategy: 'none' }, { DriftDetected: 1 });
    } else if (a.result === 'repair-failing') {
      rt.logger.error(
        `drift repairs keep failing: ${a.host} / ${a.networkId}; not repairing until it matches`,
        {
          ...context,
          host: a.host,
          networkId: a.networkId,
          strategy: 'none',
        },
      );
      emitMetrics(rt.eventMetrics, { eventType: 'agent.audit', strategy: 'none' }, { DriftRepairFailing: 1 });
    }
  }
}

/**
 * What a `vip.claim` (or a release) did to its VIP: a freeze is an ERROR line naming the VIP, its
 * network and its owner, and `VipFrozen` (the `VipFrozenAlarm`); two hosts announcing within the
 * split-brain window, `VipSplitBrain`; a release after the hold time, `VipReleased`.
 */
export function observeVip(
  rt: Pick<Runtime, 'logger' | 'eventMetrics'>,
  context: Record<string, unknown>,
  result: EventResult,
): void {
  const vip = result.vip;
  if (!vip) return;
  const fields = {
    ...context,
    vip: vip.ip,
    networkId: vip.networkId,
    owner: vip.owner,
    strategy: vip.strategy,
  };
  if (vip.froze) {
    rt.logger.error(
      `VIP frozen: ${vip.ip} in network ${vip.networkId} moved too often; it stays on ${vip.owner?.host} (port ${vip.owner?.portId}, ${vip.owner?.mac}) until the hold time passes or an operator releases it`,
      fields,
    );
    emitMetrics(rt.eventMetrics, { strategy: vip.strategy }, { VipFrozen: 1 });
  }
  if (vip.splitBrain) {
    rt.logger.warn(
      `VIP split brain: two hosts announced ${vip.ip} within the window; the newest claim wins`,
      fields,
    );
    emitMetrics(rt.eventMetrics, { strategy: vip.strategy }, { VipSplitBrain: 1 });
  }
  if (vip.released) {
    rt.logger.info(`VIP released: ${vip.ip} in network ${vip.networkId} after the hold time`, fields);
    emitMetrics(rt.eventMetrics, { strategy: vip.strategy }, { VipReleased: 1 });
  }
}

/**
 * What a `network.rebuild` did: an INFO line with what it wrote, and the ports that break the
 * overlap rule (a pair covering another bound port's fixed IP) reported as a port event reports
 * them (`observeOverlaps`). The rebuild leaves those ports as they are.
 */
export function observeRebuild(
  rt: Pick<Runtime, 'logger' | 'eventMetrics'>,
  context: Record<string, unknown>,
  result: EventResult,
): void {
  const r = result.rebuild;
  if (!r) return;
  rt.logger.info(`network rebuilt: ${r.networkId}`, {
    ...context,
    ...r,
    overlaps: r.overlaps.length,
    strategy: 'none',
  });
  observeOverlaps(
    rt,
    context,
    'network.rebuild',
    r.overlaps.map((o) => ({ ...o, networkId: r.networkId })),
    true,
  );
}

/**
 * Overlaps (`aap_overlaps_fixed_ip`, docs/vip.md "Overlap with another port's fixed IP"): a WARN
 * line each, naming both ports, with the typed code, and `AapOverlapsFound` (their number). A
 * port event reports those it brings and records the port all the same; a rebuild
 * every one of the network (`always`: its metric is emitted even at 0).
 */
export function observeOverlaps(
  rt: Pick<Runtime, 'logger' | 'eventMetrics'>,
  context: Record<string, unknown>,
  eventType: string,
  overlaps: readonly NetworkAapOverlap[],
  always = false,
): void {
  if (overlaps.length === 0 && !always) return;
  for (const o of overlaps.slice(0, MAX_OVERLAP_LINES))
    rt.logger.warn(
      `aap overlap: pair ${o.pair} of port ${o.aapPort} covers fixed IP ${o.ip} of port ${o.fixedPort} in network ${o.networkId}`,
      { ...context, eventType, code: 'aap_overlaps_fixed_ip', ...o, strategy: 'none' },
    );
  emitMetrics(rt.eventMetrics, { eventType, strategy: 'none' }, { AapOverlapsFound: overlaps.length });
}

/** Overlap lines per event; the count and the metric hold them all. */
const MAX_OVERLAP_LINES = 100;

export function observeRejected(rt: Runtime, record: SQSRecord, eventType: string, err: InvalidInputError) {
  rt.logger.warn(`rejected: ${err.message}`, {
    ...base(record),
    eventType,
    code: err.code,
    reason: err.message,
    details: err.details,
    strategy: 'none',
  });
  emitMetrics(rt.eventMetrics, { eventType, code: err.code, strategy: 'none' }, { Rejected: 1 });
}

export function observeTransient(rt: Runtime, record: SQSRecord, eventType: string, err: unknown) {
  const e = err as Error;
  rt.logger.warn(`transient failure, SQS will retry: ${e?.message}`, {
    ...base(record),
    eventType,
    error: e?.name,
    strategy: 'none',
  });
  emitMetrics(
    rt.eventMetrics,
    { eventType, error: e?.name ?? 'Error', strategy: 'none' },
    { TransientFailures: 1 },
  );
}

/**
 * Two metrics from an agent's `agent.applied` report:
 *
 * - `ApplyLatencyMs` (dimensions: the inbound `eventType` behind the commands, `strategy`): per
 *   report, the longest time from that event being sent to this agent applying its command;
 * - `FailoverConvergenceMs` (dimension `strategy`): one value per failover and network, when the
 *   last agent an `ha.state`'s version was sent to reports holding it: from the `ha.state` being
 *   sent to the latest apply among those agents: one conditional update per network of the report
 *   (src/adapters/aws/dynamo-failover-convergence.ts). Every report is checked, not only those
 *   with an `ha.state` latency: agents need not send latencies (the reference agent does not).
 *
 * Both compare the agent's clock with SQS's: skew between hosts adds to them.
 */
export async function observeApplied(rt: Runtime, event: AgentAppliedEvent): Promise<void> {
  for (const l of event.latencies)
    emitMetrics(
      rt.eventMetrics,
      { eventType: l.eventType, strategy: l.strategy },
      { ApplyLatencyMs: l.ms },
      MetricUnit.Milliseconds,
    );
  for (const [networkId, version] of Object.entries(event.networks)) {
    const done = await rt.failovers.applied(event.host, networkId, version, event.at);
    if (!done) continue;
    rt.logger.info('failover converged: every affected agent applied it', {
      networkId,
      version: done.version,
      hosts: done.hosts,
      convergenceMs: done.ms,
      failoverCorrelationId: done.correlationId,
      lastReportFrom: event.host,
      strategy: done.strategy,
    });
    emitMetrics(
      rt.eventMetrics,
      { strategy: done.strategy },
      { FailoverConvergenceMs: done.ms },
      MetricUnit.Milliseconds,
    );
  }
}
