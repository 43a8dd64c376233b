import { HA_SITUATIONS, mergeCoverage, ORACLE_OPS, PORT_SITUATIONS } from './coverage.js';
import { DEVIATION_KINDS } from './deviations.js';
import { describeBugs, type TraceOutcome } from './run-trace.js';

export interface CampaignSummary {
  readonly traces: number;
  readonly equal: number;
  /** Traces whose every difference is a deliberate deviation. */
  readonly deviations: number;
  readonly bugs: number;
  readonly errors: number;
  /** Per deviation kind: [differing entries, traces]. */
  readonly deviationKinds: Record<string, [number, number]>;
  /** Present pairs not compared because the host does not l2pop the network type (deviation (c), receiving side). */
  readonly skippedPairs: number;
  readonly comparedPairs: number;
  readonly payloads: { readonly compared: number; readonly equal: number };
  /** Payloads our replay sent that do not have Neutron's wire shape. */
  readonly messageShapeErrors: number;
  /** Informational: [entries, traces] where real agents would differ from us but the oracle's fold does not. */
  readonly agentView: [number, number];
  readonly failing: {
    readonly name: string;
    readonly seed: number | null;
    readonly verdict: string;
    readonly details: string[];
  }[];
  readonly coverage: ReturnType<typeof mergeCoverage>;
}

export function summarize(outcomes: readonly TraceOutcome[]): CampaignSummary {
  const deviationKinds: Record<string, [number, number]> = Object.fromEntries(
    DEVIATION_KINDS.map((k) => [k, [0, 0]]),
  );
  for (const o of outcomes) {
    const perTrace = new Map<string, number>();
    for (const d of o.comparison?.diffs ?? [])
      if (d.kind !== 'bug') perTrace.set(d.kind, (perTrace.get(d.kind) ?? 0) + 1);
    for (const [k, n] of perTrace) {
      const cur = deviationKinds[k] ?? [0, 0];
      deviationKinds[k] = [cur[0] + n, cur[1] + 1];
    }
  }
  const by = (v: TraceOutcome['verdict']) => outcomes.filter((o) => o.verdict === v).length;
  return {
    traces: outcomes.length,
    equal: by('equal'),
    deviations: by('deviations'),
    bugs: by('bug'),
    errors: by('error'),
    deviationKinds,
    skippedPairs: outcomes.reduce((s, o) => s + (o.comparison?.skipped.length ?? 0), 0),
    comparedPairs: outcomes.reduce((s, o) => s + (o.comparison?.pairs.length ?? 0), 0),
    payloads: {
      compared: outcomes.reduce((s, o) => s + o.payloads.compared, 0),
      equal: outcomes.reduce((s, o) => s + o.payloads.equal, 0),
    },
    messageShapeErrors: outcomes.reduce((s, o) => s + o.messageShapeErrors.length, 0),
    agentView: [
      outcomes.reduce((s, o) => s + o.agentView.length, 0),
      outcomes.filter((o) => o.agentView.length > 0).length,
    ],
    failing: outcomes
      .filter((o) => o.verdict === 'bug' || o.verdict === 'error')
      .map((o) => ({ name: o.name, seed: o.seed, verdict: o.verdict, details: describeBugs(o) })),
    coverage: mergeCoverage(outcomes.map((o) => o.coverage)),
  };
}

function row(name: string, [n, traces]: [number, number], of: number): string {
  return `  ${name.padEnd(34)} ${String(n).padStart(6)}  in ${String(traces).padStart(4)}/${of} traces`;
}

export function formatSummary(s: CampaignSummary): string {
  const lines = [
    `traces run: ${s.traces}   equal: ${s.equal}   deviations only: ${s.deviations}   bugs: ${s.bugs}   errors: ${s.errors}`,
    `compared (host, network) pairs: ${s.comparedPairs}; present pairs skipped, host does not l2pop the type: ${s.skippedPairs}`,
    `payload shapes compared with Neutron: ${s.payloads.compared}, equal: ${s.payloads.equal}; replay payloads not in Neutron's wire shape: ${s.messageShapeErrors}`,
    `informational, real agents (no fanout to hosts without the network) vs ours where the fold agrees: ${s.agentView[0]} entries in ${s.agentView[1]} traces`,
    'deviations by kind (differing entries, traces):',
    ...Object.entries(s.deviationKinds).map(([k, v]) => row(k, v, s.traces)),
  ];
  if (s.failing.length > 0) {
    lines.push('bugs and errors:');
    for (const f of s.failing) {
      lines.push(`  ${f.name}${f.seed === null ? '' : ` (seed ${f.seed})`}: ${f.verdict}`);
      for (const d of f.details.slice(0, 8)) lines.push(`      ${d}`);
      if (f.details.length > 8) lines.push(`      ... ${f.details.length - 8} more`);
    }
  }
  lines.push('oracle ops (steps, traces):');
  for (const op of ORACLE_OPS) lines.push(row(op, s.coverage.ops[op] ?? [0, 0], s.traces));
  lines.push('HA situations (occurrences, traces):');
  for (const k of HA_SITUATIONS) lines.push(row(k, s.coverage.situations[k] ?? [0, 0], s.traces));
  lines.push('port situations (occurrences, traces):');
  for (const k of PORT_SITUATIONS) lines.push(row(k, s.coverage.situations[k] ?? [0, 0], s.traces));
  return lines.join('\n');
}
