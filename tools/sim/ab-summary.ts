import type { Strategy } from '../../src/core/types.js';
import { totalRequests } from '../local/metering-proxy.js';
import type { AbResult, StrategyRun } from './ab-run.js';
import { type AbVerdict, computeAbVerdict } from './ab-verdict.js';
import type { FailoverReplay } from './failover-eval.js';
import type { FailoverOutcome } from './failover-sim.js';
import type { NoGateway } from './gateway-diagnosis.js';

/** The traffic black-hole of one failover over the VMs that ping their gateway. */
export interface BlackHole {
  /** Longest outage among the VMs that had a path before and got one back; null if none did. */
  readonly worstMs: number | null;
  readonly recovered: number;
  /** VMs that had a path before the failure and none within the window. */
  readonly never: number;
  /** VMs that could not reach the router even before the failure. */
  readonly noPath: number;
  readonly vms: number;
}

export interface FailoverSummary {
  readonly phase: string;
  /** An HA router's failover between network nodes, or a keepalived VIP's between two VMs. */
  readonly kind: 'router' | 'vip';
  /** The router's id, or `VIP <ip>`. */
  readonly target: string;
  readonly mode: 'graceful' | 'node-loss' | 'vm-loss';
  readonly from: string;
  readonly to: string;
  readonly takeoverMs: number;
  /** The new master's report to the last agent that applied a command; null: none needed one. */
  readonly convergenceMs: number | null;
  readonly live: BlackHole;
  /** The same failover had the controller not reacted: a stale binding stays stale. */
  readonly controllerDown: BlackHole;
  /** Copies of a frame to the router MAC in the steady state before the failure (mean and max per VM). */
  readonly fanOut: { readonly mean: number; readonly max: number };
  /** VMs the failover left without a gateway, or without the VIP (live), and why. */
  readonly noGateway: readonly NoGateway[];
  /** The router's HA interfaces found (1 for a VIP), and the other device owners its ports carry. */
  readonly interfaces: number;
  readonly otherOwners: readonly string[];
}

export interface SummaryRow {
  readonly strategy: Strategy;
  readonly events: number;
  readonly messages: number;
  readonly bytes: number;
  readonly dynamoRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly invocations: number;
  /** Records a function failed (transient errors; SQS delivered them again). */
  readonly failedRecords: number;
  readonly failovers: readonly FailoverSummary[];
  /** Phases by name: first event sent to the last agent apply. */
  readonly phaseMs: Readonly<Record<string, number>>;
  readonly converged: boolean;
  readonly mismatches: readonly string[];
}

export function summarizeBlackHole(outcome: FailoverOutcome): BlackHole {
  const withPath = outcome.vms.filter((v) => v.okBefore);
  const recovered = withPath.filter((v) => v.outageMs !== null);
  return {
    worstMs: recovered.length > 0 ? Math.max(...recovered.map((v) => v.outageMs as number)) : null,
    recovered: recovered.length,
    never: withPath.length - recovered.length,
    noPath: outcome.vms.length - withPath.length,
    vms: outcome.vms.length,
  };
}

function fanOut(outcome: FailoverOutcome) {
  const copies = outcome.vms.filter((v) => v.okBefore).map((v) => v.copiesPerFrame);
  if (copies.length === 0) return { mean: 0, max: 0 };
  return { mean: copies.reduce((a, b) => a + b, 0) / copies.length, max: Math.max(...copies) };
}

function summarizeFailover(phase: string, f: FailoverReplay) {
  return {
    phase,
    takeoverMs: f.takeoverMs,
    convergenceMs: f.convergenceMs,
    live: summarizeBlackHole(f.live),
    controllerDown: summarizeBlackHole(f.frozen),
    fanOut: fanOut(f.live),
    noGateway: f.noGateway,
  };
}

/** The router and VIP failovers, in the scenario's order. */
export function summarizeFailovers(r: Pick<StrategyRun, 'phases'>): FailoverSummary[] {
  return r.phases.flatMap((p): FailoverSummary[] => {
    if (p.failover) {
      const { spec } = p.failover;
      return [
        {
          ...summarizeFailover(p.name, p.failover),
          kind: 'router',
          target: spec.router,
          mode: spec.mode,
          from: spec.from,
          to: spec.to,
          interfaces: p.failover.interfaces,
          otherOwners: p.failover.otherOwners,
        },
      ];
    }
    if (p.vipFailover) {
      const { spec } = p.vipFailover;
      return [
        {
          ...summarizeFailover(p.name, p.vipFailover),
          kind: 'vip',
          target: `VIP ${spec.ip}`,
          mode: spec.mode,
          from: spec.from,
          to: spec.to,
          interfaces: 1,
          otherOwners: [],
        },
      ];
    }
    return [];
  });
}

export function summarizeStrategy(r: StrategyRun): SummaryRow {
  const failovers = summarizeFailovers(r);
  return {
    strategy: r.strategy,
    events: r.phases.reduce((n, p) => n + p.events, 0),
    messages: r.sqs.messages,
    bytes: r.sqs.bytes,
    dynamoRequests: totalRequests(r.dynamo),
    readUnits: r.dynamo.readUnits,
    writeUnits: r.dynamo.writeUnits,
    invocations: r.invocations.count,
    failedRecords: r.invocations.failedRecords,
    failovers,
    phaseMs: Object.fromEntries(r.phases.map((p) => [p.name, Math.round(p.durationMs)])),
    converged: r.converged,
    mismatches: [...r.mismatches, ...r.agentErrors.filter((e) => e.includes('refused'))],
  };
}

export interface AbSummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly totalMs: number;
  readonly rows: readonly SummaryRow[];
  readonly converged: boolean;
  /** Which strategy to pick and why, from the figures above (`computeAbVerdict`). */
  readonly verdict: AbVerdict;
}

export function summarizeAb(ab: AbResult): AbSummary {
  const rows = ab.results.map(summarizeStrategy);
  return {
    runId: ab.runId,
    startedAt: ab.startedAt,
    totalMs: Math.round(ab.totalMs),
    rows,
    converged: rows.every((r) => r.converged),
    verdict: computeAbVerdict(rows),
  };
}

/** `815` -> `0.82 s` (rounded half up on the hundredths, not on the float's binary digits). */
export const seconds = (ms: number) => `${(Math.round(ms / 10) / 100).toFixed(2)} s`;

/** `0.92 s`, `never ×4, else ≤ 0.83 s`, with `, 2 no path` when some VMs had none to begin with. */
export function formatBlackHole(b: BlackHole): string {
  const parts: string[] = [];
  if (b.never > 0)
    parts.push(b.worstMs === null ? `never ×${b.never}` : `never ×${b.never}, else ≤ ${seconds(b.worstMs)}`);
  else if (b.worstMs !== null) parts.push(seconds(b.worstMs));
  if (b.noPath > 0) parts.push(`${b.noPath} no path`);
  return parts.length > 0 ? parts.join(', ') : 'n/a';
}
