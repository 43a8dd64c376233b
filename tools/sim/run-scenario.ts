import type { SQSClient } from '@aws-sdk/client-sqs';
import { type QueueUrls, sendEvents } from '../../src/adapters/aws/inbound-queues.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import type { FlagSettings, Strategy } from '../../src/core/types.js';
import { subtractUsage, type WireUsage } from '../local/metering-proxy.js';
import { createFactOracle, type FactOracle } from './fact-oracle.js';
import {
  evaluateFailover,
  type FailoverRun,
  type StackFailover,
  snapshotTables,
  type TableSnapshot,
} from './failover-eval.js';
import type { FailoverSpec, Phase, Scenario, VipFailoverSpec, VrrpSettings } from './scenario.js';
import { settle } from './settle.js';
import type { SimFleet } from './sim-fleet.js';
import { evaluateVipFailover, type VipFailoverRun } from './vip-failover-eval.js';

export interface PhaseResult {
  readonly name: string;
  readonly events: number;
  /** First event sent to the last agent apply (ms); 0 when no agent applied anything. */
  readonly durationMs: number;
  readonly dynamo: WireUsage;
  readonly sqs: WireUsage;
  /** Commands the agents applied (versions that changed a table). */
  readonly applied: number;
  readonly converged: boolean;
  readonly mismatches: readonly string[];
  readonly failover?: FailoverRun;
  readonly vipFailover?: VipFailoverRun;
}

export interface ProgressEvent {
  readonly strategy: Strategy;
  readonly index: number;
  readonly total: number;
  readonly phase: string;
  readonly done?: PhaseResult;
}

export interface ScenarioContext {
  readonly strategy: Strategy;
  readonly sqs: SQSClient;
  readonly urls: QueueUrls;
  readonly fleet: SimFleet;
  readonly defaultFlags: FlagSettings;
  /** Cumulative usage of the functions (the metering proxies). */
  readonly usage: () => { dynamo: WireUsage; sqs: WireUsage };
  readonly phaseTimeoutMs: number;
  readonly progress?: (e: ProgressEvent) => void;
  readonly now?: () => number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Agent reports go through the simulated agent of the host (it starts, restarts or reconfigures). */
async function send(
  ctx: ScenarioContext,
  oracle: FactOracle,
  events: readonly InboundEvent[],
): Promise<void> {
  let batch: InboundEvent[] = [];
  const flush = async () => {
    if (batch.length > 0) await sendEvents(ctx.sqs, ctx.urls, batch);
    batch = [];
  };
  for (const e of events) {
    oracle.apply(e);
    if (e.type === 'agent.report') {
      await flush();
      await ctx.fleet.report(e);
    } else batch.push(e);
  }
  await flush();
}

function nextSeq(oracle: FactOracle, routerId: string): number {
  const states = Object.values(oracle.router(routerId)?.states ?? {});
  return states.reduce((m, s) => Math.max(m, s.order.seq), 0) + 1;
}

function haReport(
  oracle: FactOracle,
  spec: FailoverSpec,
  host: string,
  state: 'active' | 'standby',
): InboundEvent {
  const term = Object.values(oracle.router(spec.router)?.states ?? {}).reduce(
    (m, s) => Math.max(m, s.order.term),
    0,
  );
  return {
    type: 'ha.state',
    v: 1,
    routerId: spec.router,
    host,
    state,
    term,
    seq: nextSeq(oracle, spec.router),
  };
}

/** The failure itself: the old master's keepalived stops (it reports standby), or its node goes dark. */
async function fail(ctx: ScenarioContext, oracle: FactOracle, spec: FailoverSpec): Promise<void> {
  if (spec.mode === 'graceful') await send(ctx, oracle, [haReport(oracle, spec, spec.from, 'standby')]);
  else ctx.fleet.down(spec.from);
}

interface PhaseStart {
  readonly at: number;
  readonly usage: { dynamo: WireUsage; sqs: WireUsage };
  readonly applies: number;
}

/**
 * A failover in real time, so the controller works against the clock VRRP sets:
 *
 *   failure ───── takeoverMs ─────> new master reports active ──> commands ──> agents apply
 *   (standby report, or node dark)   (VIP moved, GARPs sent)
 */
async function runFailover(
  ctx: ScenarioContext,
  oracle: FactOracle,
  phase: Phase,
  spec: FailoverSpec,
  vrrp: VrrpSettings,
) {
  const now = ctx.now ?? (() => performance.now());
  const takeoverMs = spec.mode === 'graceful' ? vrrp.gracefulMs : vrrp.nodeLossMs;
  let before: TableSnapshot;
  let reportAt: number;
  if (spec.reports === 'generate') {
    before = snapshotTables(ctx.fleet, oracle.networks(), now());
    await fail(ctx, oracle, spec);
    await sleep(Math.max(0, before.at + takeoverMs - now()));
    reportAt = now();
    await send(ctx, oracle, [haReport(oracle, spec, spec.to, 'active'), ...phase.events]);
  } else {
    reportAt = now();
    before = snapshotTables(ctx.fleet, oracle.networks(), reportAt, reportAt - takeoverMs);
    if (spec.mode === 'node-loss') ctx.fleet.down(spec.from);
    await send(ctx, oracle, phase.events);
  }
  return settleAndReplay(ctx, oracle, { spec, vrrp, before, reportAt }, evaluateFailover);
}

/** Waits until the controller and the agents are quiet, then replays the failover in the data plane. */
async function settleAndReplay<S, R>(
  ctx: ScenarioContext,
  oracle: FactOracle,
  timed: Pick<StackFailover<S>, 'spec' | 'vrrp' | 'before' | 'reportAt'>,
  replay: (f: StackFailover<S>) => R,
) {
  const settled = await settle(settleOptions(ctx, oracle));
  return { settled, failover: replay({ ...timed, oracle, fleet: ctx.fleet, applies: ctx.fleet.applies }) };
}

/**
 * A VIP failover in real time: keepalived's VIP leaves its VM (stopped, or the VM lost), nothing
 * reaches the controller until the new owner holds it and its agent claims it:
 *
 *   failure ───── takeoverMs ─────> new owner holds the VIP, GARPs ──> its agent's claim ──> commands ──> applies
 *   (keepalived stopped, VM dead)    (phase events: the vip.claim)
 */
async function runVipFailover(
  ctx: ScenarioContext,
  oracle: FactOracle,
  phase: Phase,
  spec: VipFailoverSpec,
  vrrp: VrrpSettings,
) {
  const now = ctx.now ?? (() => performance.now());
  const takeoverMs = spec.mode === 'graceful' ? vrrp.gracefulMs : vrrp.nodeLossMs;
  const before = snapshotTables(ctx.fleet, oracle.networks(), now());
  await sleep(Math.max(0, before.at + takeoverMs - now()));
  const reportAt = now();
  await send(ctx, oracle, phase.events);
  return settleAndReplay(ctx, oracle, { spec, vrrp, before, reportAt }, evaluateVipFailover);
}

async function runPhase(ctx: ScenarioContext, oracle: FactOracle, phase: Phase, vrrp: VrrpSettings) {
  const now = ctx.now ?? (() => performance.now());
  const start: PhaseStart = { at: now(), usage: ctx.usage(), applies: ctx.fleet.applies.length };
  if (phase.failover) {
    const { settled, failover } = await runFailover(ctx, oracle, phase, phase.failover, vrrp);
    return finish(ctx, phase, start, settled, { failover });
  }
  if (phase.vipFailover) {
    const { settled, failover } = await runVipFailover(ctx, oracle, phase, phase.vipFailover, vrrp);
    return finish(ctx, phase, start, settled, { vipFailover: failover });
  }
  await send(ctx, oracle, phase.events);
  return finish(ctx, phase, start, await settle(settleOptions(ctx, oracle)), {});
}

function settleOptions(ctx: ScenarioContext, oracle: FactOracle) {
  return {
    sqs: ctx.sqs,
    inboundUrls: Object.values(ctx.urls),
    oracle,
    fleet: ctx.fleet,
    timeoutMs: ctx.phaseTimeoutMs,
    ...(ctx.now ? { now: ctx.now } : {}),
  };
}

function finish(
  ctx: ScenarioContext,
  phase: Phase,
  start: PhaseStart,
  settled: { converged: boolean; mismatches: string[] },
  runs: { failover?: FailoverRun; vipFailover?: VipFailoverRun },
): PhaseResult {
  const usage1 = ctx.usage();
  const applied = ctx.fleet.applies.slice(start.applies).filter((a) => a.action === 'applied');
  const last = applied.reduce((m, a) => Math.max(m, a.at), start.at);
  return {
    name: phase.name,
    events:
      phase.events.length +
      (phase.failover?.reports === 'generate' ? (phase.failover.mode === 'graceful' ? 2 : 1) : 0),
    durationMs: last - start.at,
    dynamo: subtractUsage(usage1.dynamo, start.usage.dynamo),
    sqs: subtractUsage(usage1.sqs, start.usage.sqs),
    applied: applied.length,
    converged: settled.converged,
    mismatches: settled.mismatches,
    ...runs,
  };
}

export interface ScenarioResult {
  readonly strategy: Strategy;
  readonly phases: readonly PhaseResult[];
  /** Every agent (nodes that came back included) equals the desired state at the end. */
  readonly converged: boolean;
  readonly mismatches: readonly string[];
  /** Hosts whose node was still down at the end (left out of the convergence check). */
  readonly down: readonly string[];
  /** Commands an agent refused (malformed: a controller bug) and SQS calls of the agents that failed. */
  readonly agentErrors: readonly string[];
  readonly dynamo: WireUsage;
  readonly sqs: WireUsage;
  readonly fleet: {
    readonly received: number;
    readonly bytes: number;
    readonly gaps: number;
    readonly resyncs: number;
  };
}

/** Drives a scenario phase by phase on a running controller and its simulated agents. */
export async function runScenario(ctx: ScenarioContext, scenario: Scenario): Promise<ScenarioResult> {
  const oracle = createFactOracle(ctx.defaultFlags);
  const phases: PhaseResult[] = [];
  const usage0 = ctx.usage();
  for (const [index, phase] of scenario.phases.entries()) {
    ctx.progress?.({ strategy: ctx.strategy, index, total: scenario.phases.length, phase: phase.name });
    const r = await runPhase(ctx, oracle, phase, scenario.vrrp);
    phases.push(r);
    ctx.progress?.({
      strategy: ctx.strategy,
      index,
      total: scenario.phases.length,
      phase: phase.name,
      done: r,
    });
  }
  const final = await settle({
    ...settleOptions(ctx, oracle),
    timeoutMs: Math.min(ctx.phaseTimeoutMs, 5000),
  });
  const usage1 = ctx.usage();
  const down = ctx.fleet.hosts().filter((h) => ctx.fleet.isDown(h));
  const refused = ctx.fleet.errors.some((e) => e.includes('refused a malformed command'));
  return {
    strategy: ctx.strategy,
    phases,
    converged: final.converged && phases.every((p) => p.converged) && !refused,
    mismatches: final.mismatches,
    down,
    agentErrors: [...ctx.fleet.errors],
    dynamo: subtractUsage(usage1.dynamo, usage0.dynamo),
    sqs: subtractUsage(usage1.sqs, usage0.sqs),
    fleet: { ...ctx.fleet.stats },
  };
}
