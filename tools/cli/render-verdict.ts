import type { AbSummary } from '../sim/ab-summary.js';
import { type StrategyScore, vipWords } from '../sim/ab-verdict.js';

/** The verdict as sentences, for the terminal, the markdown and the HTML alike. */
export interface VerdictText {
  /** `pick auto: <why>` or `no pick: <why>`. */
  readonly headline: string;
  /** Per strategy, best first: does it bring every VM back, how fast, at what cost. */
  readonly strategies: readonly { strategy: string; text: string }[];
  /** VMs without a gateway, grouped by strategy, failover and reason. */
  readonly gaps: readonly { strategy: string; phase: string; vms: string[]; reason: string }[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function strategyText(s: StrategyScore): string {
  const back =
    s.lost === 0
      ? 'brings back every VM that had a gateway'
      : `leaves ${plural(s.lost, 'VM')} without a gateway`;
  const none = s.noPath > 0 ? `, ${plural(s.noPath, 'VM')} had none to begin with` : '';
  const vips = s.vip.failovers > 0 ? `; ${vipWords(s.vip)}` : '';
  return (
    `${back}${none}; worst black-hole ${s.worst.join(' / ')}${vips}; ` +
    `${s.messages} messages, ${s.dynamoRequests} DynamoDB requests${s.converged ? '' : '; NOT converged'}`
  );
}

export function verdictText(summary: AbSummary): VerdictText {
  const v = summary.verdict;
  const headline = v.pick === null ? `no pick: ${v.reason}` : `pick ${v.pick}: ${v.reason}`;
  const gaps: { strategy: string; phase: string; vms: string[]; reason: string }[] = [];
  for (const s of v.ranking)
    for (const g of s.noGateway) {
      const vm = `${g.host} (${g.networkId})`;
      const same = gaps.find(
        (x) => x.strategy === s.strategy && x.phase === g.phase && x.reason === g.reason,
      );
      if (same) same.vms.push(vm);
      else gaps.push({ strategy: s.strategy, phase: g.phase, vms: [vm], reason: g.reason });
    }
  return {
    headline,
    strategies: v.measured ? v.ranking.map((s) => ({ strategy: s.strategy, text: strategyText(s) })) : [],
    gaps,
  };
}

/** The terms the tables use, one line each. */
export const LEGEND: readonly (readonly [string, string])[] = [
  ['black-hole', "a VM's outage pinging its gateway: last reply before the failover to the first after it"],
  [
    'VIP failover',
    "keepalived's VIP (virtual MAC) moving between two VMs; the other VMs of its network ping the VIP",
  ],
  ['never', 'VMs that had a gateway (or VIP) and got no reply within the window (≥ 20 s)'],
  ['no path', 'VMs that could not reach the router (or VIP) even before the failover'],
  ['VRRP', 'failure to the new master holding the virtual IP (the floor of any black-hole)'],
  [
    'convergence',
    "the new master's HA report (the new VIP owner's claim) to the last agent that applied a command",
  ],
  ['controller down', 'the same failover had the controller not reacted: stale entries stay'],
  ['msgs, KiB', 'commands the functions sent to agent queues'],
  ['DynamoDB req', 'requests the functions made (read / write capacity units in brackets)'],
  ['copies/frame', 'underlay copies of one frame to the router MAC (flooding sends several)'],
];
