import type { TraceStep } from '../../tools/replay/trace.js';
import type { GeneratedTrace } from './generator.js';
import { NeutronSim } from './model.js';
import { mapPool } from './pool.js';
import type { TraceOutcome } from './run-trace.js';

/** What kind of failure a trace shows, so shrinking keeps the same failure and not another one. */
export function failureSignature(o: TraceOutcome): Set<string> {
  const sig = new Set<string>();
  for (const d of o.comparison?.diffs ?? []) {
    if (d.kind === 'bug') sig.add(`${d.side}:${d.entry[1] === '0.0.0.0' ? 'flood' : 'unicast'}`);
  }
  if ((o.comparison?.unexpectedPairs.length ?? 0) > 0) sig.add('unexpected-pair');
  for (const c of o.payloads.mismatches) sig.add(`payload:${c.method}`);
  if (o.messageShapeErrors.length > 0) sig.add('message-shape');
  if (o.verdict === 'error') sig.add(`error:${o.error ?? ''}`);
  return sig;
}

/**
 * Drops the steps that removing others made invalid (a port_up of a port never created, ...),
 * then the networks no step uses. The result always runs in the oracle.
 */
export function repairTrace(trace: GeneratedTrace): GeneratedTrace {
  const { sim } = NeutronSim.fromTrace({ ...trace, steps: [] });
  const steps: TraceStep[] = [];
  for (const s of trace.steps) {
    if (sim.check(s) !== null) continue;
    sim.apply(s);
    steps.push(s);
  }
  const used = new Set(steps.flatMap((s) => (s.op === 'create_port' ? [s.network] : [])));
  const networks = trace.networks.filter((n) => used.has(n.name));
  return { ...trace, steps, networks: networks.length > 0 ? networks : trace.networks.slice(0, 1) };
}

export interface ShrinkOptions {
  /** Candidates tried at once (oracle processes). */
  readonly jobs: number;
  /** Stop after this many oracle runs. */
  readonly maxRuns: number;
  readonly log?: (line: string) => void;
}

/**
 * Delta debugging over steps: try removing chunks (halves, quarters, ... single steps), repair,
 * and keep a candidate when `run` still shows a failure with the same signature.
 */
export async function shrinkTrace(
  trace: GeneratedTrace,
  run: (t: GeneratedTrace) => Promise<TraceOutcome>,
  signature: ReadonlySet<string>,
  options: ShrinkOptions,
): Promise<{ trace: GeneratedTrace; runs: number }> {
  let best = trace;
  let runs = 0;
  const fails = (o: TraceOutcome) => [...failureSignature(o)].some((s) => signature.has(s));
  for (let chunk = Math.ceil(best.steps.length / 2); chunk >= 1 && runs < options.maxRuns; ) {
    const candidates: GeneratedTrace[] = [];
    for (let start = 0; start < best.steps.length; start += chunk) {
      const c = repairTrace({
        ...best,
        steps: [...best.steps.slice(0, start), ...best.steps.slice(start + chunk)],
      });
      if (c.steps.length < best.steps.length) candidates.push(c);
    }
    let improved = false;
    for (let i = 0; i < candidates.length && runs < options.maxRuns && !improved; i += options.jobs) {
      const batch = candidates.slice(i, i + options.jobs);
      runs += batch.length;
      const outcomes = await mapPool(batch, options.jobs, run);
      const hit = outcomes.findIndex(fails);
      const winner = hit >= 0 ? batch[hit] : undefined;
      if (winner) {
        best = winner;
        improved = true;
        options.log?.(`shrink: ${best.steps.length} steps after ${runs} runs`);
      }
    }
    if (!improved) chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2);
    else chunk = Math.min(chunk, Math.ceil(best.steps.length / 2));
  }
  return { trace: best, runs };
}
