import { replayTrace } from '../../tools/replay/replay.js';
import { type AgentViewDiff, compareAgentView } from './agent-fold.js';
import { type Comparison, compareFdb, toFdb } from './compare.js';
import { type Coverage, computeCoverage } from './coverage.js';
import type { ExplainContext } from './deviations.js';
import { foldNotifications } from './fold.js';
import type { TraceSnapshot } from './model.js';
import { type OracleResult, type OracleTraceLine, runOracle } from './oracle.js';
import { checkMessageShapes, checkPayloadShapes, type PayloadCheck } from './payload-shapes.js';
import { simulateTrace } from './simulate.js';

/** The verdict on one trace. `error` means the harness could not judge it (see `error`). */
export type Verdict = 'equal' | 'deviations' | 'bug' | 'error';

export interface TraceOutcome {
  readonly name: string;
  readonly seed: number | null;
  readonly verdict: Verdict;
  readonly error: string | null;
  readonly steps: number;
  readonly notifications: number;
  readonly comparison: Comparison | null;
  /** Steps where the simulator's port/HA state differs from the oracle's `--trace` (a harness bug). */
  readonly modelMismatches: string[];
  /** Whether our TypeScript fold of Neutron's messages gives the oracle's own `fdb` (null: not checked). */
  readonly foldMatchesOracle: boolean | null;
  readonly payloads: {
    readonly compared: number;
    readonly equal: number;
    readonly mismatches: PayloadCheck[];
  };
  /** Payloads our replay sent that do not have Neutron's wire shape. */
  readonly messageShapeErrors: string[];
  /**
   * Informational, not part of the verdict: where real agents (which drop messages for networks
   * they have no port in) would differ from us although the oracle's fold does not (agent-fold.ts).
   */
  readonly agentView: AgentViewDiff[];
  readonly coverage: Coverage;
  readonly oracleMs: number;
}

export interface RunOptions {
  readonly name: string;
  readonly seed?: number;
  /** A precomputed oracle result (the examples' stored outputs); otherwise the oracle runs. */
  readonly oracle?: OracleResult;
  /** How to run the oracle: an `OraclePool` worker; default one harness process per trace. */
  readonly runOracle?: (trace: unknown) => Promise<OracleResult>;
  readonly timeoutMs?: number;
}

function modelMismatches(oracle: readonly OracleTraceLine[], sim: readonly TraceSnapshot[]): string[] {
  if (oracle.length === 0) return [];
  const out: string[] = [];
  if (oracle.length !== sim.length)
    out.push(`oracle traced ${oracle.length} steps, the simulator ${sim.length}`);
  oracle.forEach((line, i) => {
    const mine = sim[i];
    const a = JSON.stringify({ ports: line.ports, ha: line.ha ?? null });
    const b = JSON.stringify({ ports: mine?.ports ?? null, ha: mine?.ha ?? null });
    if (a !== b) out.push(`step ${i} (${line.op}): oracle ${a} simulator ${b}`);
  });
  return out;
}

function failed(
  opts: RunOptions,
  steps: number,
  coverage: Coverage,
  error: string,
  oracleMs = 0,
): TraceOutcome {
  return {
    name: opts.name,
    seed: opts.seed ?? null,
    verdict: 'error',
    error,
    steps,
    notifications: 0,
    comparison: null,
    modelMismatches: [],
    foldMatchesOracle: null,
    payloads: { compared: 0, equal: 0, mismatches: [] },
    messageShapeErrors: [],
    agentView: [],
    coverage,
    oracleMs,
  };
}

/**
 * Runs one trace through the oracle and through our replay (`--strategy tunnel`: Neutron 21 treats
 * HA ports that way) and judges the end states with `compareFdb`, plus the payload-shape check.
 */
export async function runDifferential(input: unknown, opts: RunOptions): Promise<TraceOutcome> {
  let simulated: ReturnType<typeof simulateTrace>;
  let coverage: Coverage = { ops: {}, situations: {} };
  try {
    simulated = simulateTrace(input);
    coverage = computeCoverage(input);
  } catch (err) {
    return failed(opts, 0, coverage, `invalid trace: ${(err as Error).message}`);
  }
  const { trace, sim, snapshots, history } = simulated;
  let oracle: OracleResult;
  try {
    oracle =
      opts.oracle ??
      (await (
        opts.runOracle ??
        ((t) => runOracle(t, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }))
      )(input));
  } catch (err) {
    return failed(opts, trace.steps.length, coverage, `oracle: ${(err as Error).message}`);
  }
  const hosts = [...sim.agents.keys()].sort();
  const finalTunnelIp = new Map([...sim.agents.values()].map((a) => [a.host, a.tunnelIp]));
  const fold = foldNotifications(oracle.notifications, hosts, finalTunnelIp);
  const foldMatchesOracle = opts.oracle ? null : JSON.stringify(fold.fdb()) === JSON.stringify(oracle.fdb);
  let ours: Awaited<ReturnType<typeof replayTrace>>;
  try {
    ours = await replayTrace(input, { strategy: 'tunnel' });
  } catch (err) {
    return failed(opts, trace.steps.length, coverage, `replay: ${(err as Error).message}`, oracle.durationMs);
  }
  const ctx: ExplainContext = { trace, sim, history, fold, notifications: oracle.notifications };
  const oursFdb = toFdb(ours.fdb);
  const comparison = compareFdb(ctx, oracle.fdb, oursFdb);
  const agentView = compareAgentView(
    { trace, sim, history, notifications: oracle.notifications },
    comparison.pairs,
    oracle.fdb,
    oursFdb,
  );
  const checks = checkPayloadShapes({
    trace,
    sim,
    history,
    notifications: oracle.notifications,
    hosts,
    finalTunnelIp,
  });
  const mismatches = modelMismatches(oracle.trace, snapshots);
  const payloadMismatches = checks.filter((c) => !c.equal);
  const messageShapeErrors = checkMessageShapes(ours.messages);
  let verdict: Verdict = comparison.verdict;
  let error: string | null = null;
  if (mismatches.length > 0 || foldMatchesOracle === false) {
    verdict = 'error';
    error =
      mismatches.length > 0
        ? 'the simulator disagrees with the oracle trace'
        : 'our fold of the messages differs from the oracle fdb';
  } else if (payloadMismatches.length > 0 || messageShapeErrors.length > 0) {
    verdict = 'bug';
  }
  return {
    name: opts.name,
    seed: opts.seed ?? null,
    verdict,
    error,
    steps: trace.steps.length,
    notifications: oracle.notifications.length,
    comparison,
    modelMismatches: mismatches,
    foldMatchesOracle,
    payloads: {
      compared: checks.length,
      equal: checks.length - payloadMismatches.length,
      mismatches: payloadMismatches,
    },
    messageShapeErrors,
    agentView,
    coverage,
    oracleMs: oracle.durationMs,
  };
}

/** A short, readable account of the differences that are bugs. */
export function describeBugs(o: TraceOutcome): string[] {
  const out: string[] = [];
  if (o.error) out.push(`${o.verdict}: ${o.error}`);
  for (const m of o.modelMismatches.slice(0, 3)) out.push(`model: ${m}`);
  for (const p of o.comparison?.unexpectedPairs ?? [])
    out.push(`ours shows ${p.host}/${p.network}, where the host is not present`);
  for (const d of o.comparison?.diffs ?? []) {
    if (d.kind !== 'bug') continue;
    out.push(`${d.host}/${d.network} ${d.vtep} [${d.entry.join(', ')}] ${d.side}: ${d.reason}`);
  }
  for (const e of o.messageShapeErrors.slice(0, 5)) out.push(`message shape: ${e}`);
  for (const c of o.payloads.mismatches) {
    out.push(
      `payload step ${c.step} (${c.op}) ${c.method} for ${c.host}/${c.network}: neutron ${JSON.stringify(c.neutron)} ours ${JSON.stringify(c.ours)}`,
    );
  }
  return out;
}
