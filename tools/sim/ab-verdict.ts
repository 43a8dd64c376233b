import type { Strategy } from '../../src/core/types.js';
import type { FailoverSummary, SummaryRow } from './ab-summary.js';
import type { NoGateway } from './gateway-diagnosis.js';

/**
 * A VM recovered "at VRRP time" when its outage is at most the takeover plus this: the probe
 * interval (10 ms) and a reply's round trip. The controller's path (HA report, function, SQS,
 * agent apply) measured ≥ 90 ms on an idle machine, so it never fits in this slack.
 */
export const VRRP_SLACK_MS = 50;
/** Two strategies' summed worst black-holes within this fraction of each other count as equally fast. */
export const SPEED_TOLERANCE = 0.1;

/** One strategy's figures the verdict weighs, all read from the run's summary. */
export interface StrategyScore {
  readonly strategy: Strategy;
  readonly converged: boolean;
  /** VMs that had a gateway before a failover and none after it, summed over the failovers. */
  readonly lost: number;
  /** VMs with no gateway even before a failover, summed over the failovers. */
  readonly noPath: number;
  /** Failovers after which every VM that had a gateway got it back at VRRP time. */
  readonly atVrrp: number;
  /** Worst black-hole per failover (null: no VM recovered), in the failovers' order. */
  readonly worstMs: readonly (number | null)[];
  /** The same in words: `never` when a VM never got its gateway back, `n/a` when no VM had one. */
  readonly worst: readonly string[];
  /** VMs that recover with the controller down, summed over the failovers. */
  readonly recoverWithoutController: number;
  readonly messages: number;
  readonly dynamoRequests: number;
  readonly noGateway: readonly (NoGateway & { readonly phase: string })[];
  /** The VIP failovers alone (they count in every figure above too). */
  readonly vip: VipScore;
}

/** How a strategy serves keepalived VIPs: the other VMs of the VIP's network pinging it. */
export interface VipScore {
  readonly failovers: number;
  /** VM outcomes without the VIP after a failover: lost (had it before) or no path (never had it). */
  readonly lost: number;
  readonly noPath: number;
  /** Of those, the VMs whose agent runs an ARP proxy: with no entry for the VIP it drops their ARP requests. */
  readonly behindProxy: number;
  /** Worst black-hole per VIP failover, in words (`never`, `n/a`, `0.83 s`). */
  readonly worst: readonly string[];
}

export interface AbVerdict {
  /** False when every headline figure is n/a: no failover measured a VM, so there is no answer. */
  readonly measured: boolean;
  /** The strategy to pick; null when none brings back every VM that had a gateway, or nothing was measured. */
  readonly pick: Strategy | null;
  /** One sentence: why this pick, against the runner-up, and what it costs; then how each serves VIPs. */
  readonly reason: string;
  /** Best first. */
  readonly ranking: readonly StrategyScore[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const secs = (ms: number | null) => (ms === null ? 'n/a' : `${(Math.round(ms / 10) / 100).toFixed(2)} s`);

function atVrrp(f: FailoverSummary): boolean {
  return f.live.recovered > 0 && f.live.never === 0 && (f.live.worstMs ?? 0) <= f.takeoverMs + VRRP_SLACK_MS;
}

const worstWords = (f: FailoverSummary) => (f.live.never > 0 ? 'never' : secs(f.live.worstMs));

function scoreVips(failovers: readonly FailoverSummary[]): VipScore {
  const vips = failovers.filter((f) => f.kind === 'vip');
  const gaps = vips.flatMap((f) => f.noGateway);
  return {
    failovers: vips.length,
    lost: sum(vips.map((f) => f.live.never)),
    noPath: sum(vips.map((f) => f.live.noPath)),
    behindProxy: gaps.filter((g) => g.behindProxy).length,
    worst: vips.map(worstWords),
  };
}

export function scoreStrategy(r: SummaryRow): StrategyScore {
  return {
    strategy: r.strategy,
    converged: r.converged,
    lost: sum(r.failovers.map((f) => f.live.never)),
    noPath: sum(r.failovers.map((f) => f.live.noPath)),
    atVrrp: r.failovers.filter(atVrrp).length,
    worstMs: r.failovers.map((f) => f.live.worstMs),
    worst: r.failovers.map(worstWords),
    recoverWithoutController: sum(r.failovers.map((f) => f.controllerDown.recovered)),
    messages: r.messages,
    dynamoRequests: r.dynamoRequests,
    noGateway: r.failovers.flatMap((f) => f.noGateway.map((g) => ({ ...g, phase: f.phase }))),
    vip: scoreVips(r.failovers),
  };
}

/**
 * How one strategy serves VIPs, in words: `reaches every VIP client (worst black-hole 1.12 s)`;
 * where a client behind an ARP-proxy agent is left without it, `cannot serve a VIP behind an
 * ARP-proxy agent (1 with no path before a failover; 1 of them behind one)`; else `leaves VIP
 * clients without it (…)`. A client counts once per failover.
 */
export function vipWords(v: VipScore): string {
  if (v.lost + v.noPath === 0) return `reaches every VIP client (worst black-hole ${v.worst.join(' / ')})`;
  const counts = [
    v.noPath > 0 ? `${v.noPath} with no path before a failover` : '',
    v.lost > 0 ? `${v.lost} not back after one` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return v.behindProxy > 0
    ? `cannot serve a VIP behind an ARP-proxy agent (${counts}; ${v.behindProxy} of them behind one)`
    : `leaves VIP clients without it (${counts})`;
}

/** `VIPs: tunnel cannot serve a VIP behind an ARP-proxy agent (…); auto reaches every VIP client (…)`. */
function vipClause(ranking: readonly StrategyScore[]): string {
  const scored = ranking.filter((s) => s.vip.failovers > 0);
  return scored.length === 0
    ? ''
    : `; VIPs: ${scored.map((s) => `${s.strategy} ${vipWords(s.vip)}`).join('; ')}`;
}

const totalWorst = (s: StrategyScore) => sum(s.worstMs.map((w) => w ?? 0));

/** Equally fast when the summed worst black-holes are within SPEED_TOLERANCE of the larger. */
function speedOrder(a: StrategyScore, b: StrategyScore): number {
  const [x, y] = [totalWorst(a), totalWorst(b)];
  return Math.abs(x - y) <= SPEED_TOLERANCE * Math.max(x, y) ? 0 : x - y;
}

/**
 * The criteria, most important first; each returns < 0 when `a` is better, and the words that
 * say why `a` beats `b` on it.
 */
const CRITERIA: readonly {
  order: (a: StrategyScore, b: StrategyScore) => number;
  why: (a: StrategyScore, b: StrategyScore) => string;
}[] = [
  {
    order: (a, b) => Number(b.converged) - Number(a.converged),
    why: (_a, b) => `every agent converged under it, not under ${b.strategy}`,
  },
  {
    order: (a, b) => a.lost - b.lost,
    why: (a, b) =>
      a.lost === 0
        ? `it brings back every VM that had a gateway, ${b.strategy} leaves ${b.lost} without one`
        : `it leaves fewer VMs without a gateway (${a.lost} against ${b.lost} under ${b.strategy})`,
  },
  {
    order: (a, b) => a.noPath - b.noPath,
    why: (a, b) => `fewer VMs have no gateway at all (${a.noPath} against ${b.noPath} under ${b.strategy})`,
  },
  {
    order: (a, b) => b.atVrrp - a.atVrrp,
    why: (a, b) =>
      `every VM is back at VRRP time, without waiting for the controller, in ${a.atVrrp} of ${a.worstMs.length} failovers ` +
      `(${b.strategy}: ${b.atVrrp}); worst black-hole ${a.worst.join(' / ')} against ${b.worst.join(' / ')}`,
  },
  {
    order: speedOrder,
    why: (a, b) =>
      `it is the fastest: worst black-hole ${a.worst.join(' / ')} against ${b.worst.join(' / ')} under ${b.strategy}`,
  },
  {
    order: (a, b) => b.recoverWithoutController - a.recoverWithoutController,
    why: (a, b) =>
      `as fast as ${b.strategy}, and more VMs recover with the controller down (${a.recoverWithoutController} against ${b.recoverWithoutController})`,
  },
  {
    order: (a, b) => a.messages - b.messages || a.dynamoRequests - b.dynamoRequests,
    why: (_a, b) => `as fast and as safe as ${b.strategy}, and cheaper`,
  },
];

function compareScores(a: StrategyScore, b: StrategyScore): number {
  for (const c of CRITERIA) {
    const o = c.order(a, b);
    if (o !== 0) return o;
  }
  return 0;
}

function costWords(a: StrategyScore, b: StrategyScore | undefined): string {
  const own = `it costs ${a.messages} control messages and ${a.dynamoRequests} DynamoDB requests`;
  return b ? `${own} (${b.strategy}: ${b.messages} and ${b.dynamoRequests})` : own;
}

/** Why nothing was measured: the failovers found no HA interface, or no VM behind one. */
export function explainUnmeasured(rows: readonly SummaryRow[]): string {
  const failovers = rows[0]?.failovers ?? [];
  if (failovers.length === 0)
    return 'the scenario has no failover phase, so there is no black-hole to measure';
  const words = [...new Set(failovers.map(unmeasuredFailover))];
  return `no failover measured a VM: ${words.join('; ')}`;
}

function unmeasuredFailover(f: FailoverSummary): string {
  if (f.kind === 'vip')
    return `the ${f.target}'s network has no other ACTIVE, bound VM port (device_owner compute:*) to ping it`;
  if (f.interfaces === 0)
    return (
      `${f.target} has no port with device_owner network:ha_router_replicated_interface, so no HA router ` +
      `interface was recognised${f.otherOwners.length > 0 ? ` (its ports carry ${f.otherOwners.join(', ')})` : ''}`
    );
  return `${f.target}'s networks have no ACTIVE, bound VM port (device_owner compute:*) to ping its gateway`;
}

/**
 * Which strategy to pick, from the run's figures, router and VIP failovers alike (a VM without its
 * VIP counts as one without its gateway): first one under which every agent converged,
 * then the fewest VMs left without a gateway, the fewest with no gateway at all, the most failovers
 * recovered at VRRP time, the smallest summed worst black-hole (within 10 % is a tie: the
 * controller's share moves with the machine's load), the most VMs recovering with the controller
 * down, and the fewest messages and DynamoDB requests. Pure: the same rows give the same verdict.
 */
export function computeAbVerdict(rows: readonly SummaryRow[]): AbVerdict {
  const ranking = rows.map(scoreStrategy).sort(compareScores);
  const measured = rows.some((r) => r.failovers.some((f) => f.live.vms > 0));
  if (!measured) return { measured, pick: null, reason: explainUnmeasured(rows), ranking };
  const [best, next] = ranking;
  if (!best) return { measured: false, pick: null, reason: 'no strategy ran', ranking };
  if (!best.converged || best.lost > 0)
    return {
      measured,
      pick: null,
      reason:
        `no strategy brings back every VM that had a gateway; ${best.strategy} leaves the fewest ` +
        `(${best.lost})${best.converged ? '' : ', and not every agent converged under it'}${vipClause(ranking)}`,
      ranking,
    };
  const decisive = next ? CRITERIA.find((c) => c.order(best, next) !== 0) : undefined;
  const why = !next
    ? `the only strategy run; it brings back every VM that had a gateway (worst black-hole ${best.worst.join(' / ')})`
    : decisive
      ? decisive.why(best, next)
      : `no measure tells it from ${next.strategy}`;
  return {
    measured,
    pick: best.strategy,
    reason: `${why}; ${costWords(best, next)}${vipClause(ranking)}`,
    ranking,
  };
}
