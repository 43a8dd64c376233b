import { countPortsReadIncremental } from './count-ports-read.js';
import { buildCoreFixture, type CoreFixture, factsAround, withFreshRecord } from './fixture.js';
import { planPortEventIncremental } from './port-event.js';
import { type ByClock, type FullFacts, sampleFull, sampleIncremental } from './sample.js';
import { type Summary, summarize } from './stats.js';

export interface SizeSpec {
  readonly hosts: number;
  readonly ports: number;
}

export interface CoreBenchOptions {
  readonly sizes: readonly SizeSpec[];
  /** Each round samples every host count once, in an order rotated by one per round. */
  readonly rounds: number;
  /** Full-recompute samples per size at most, spread over the rounds (at least 3 are taken). */
  readonly fullSamples: number;
  /** Wall time the full samples of one size should stay under, when 3 fit. */
  readonly fullBudgetMs: number;
  /** Above this many view entries (hosts x ports) the full recompute is estimated, not run (memory). */
  readonly fullMaxViewEntries: number;
  /** Incremental events run this long per host count before measuring, for the JIT. */
  readonly warmUpMs: number;
  /** Events are looped until one incremental sample lasts at least this long per size. */
  readonly minSampleMs: number;
  readonly log?: (line: string) => void;
}

export type FullResult =
  | { readonly measured: true; readonly msPerEvent: ByClock<Summary>; readonly ratio: ByClock<Summary> }
  | {
      readonly measured: false;
      readonly estimatedMsPerEvent: ByClock<number>;
      readonly ratio: ByClock<number>;
      readonly basis: string;
    };

export interface SizeResult {
  readonly hosts: number;
  readonly ports: number;
  readonly incrementalUsPerEvent: ByClock<Summary>;
  /** Distinct port facts the incremental path read per event (deterministic; must not grow with ports). */
  readonly portsReadPerEvent: number;
  readonly commandsPerEvent: number;
  /** Incremental / full recompute, paired sample by sample (measured) or against an estimate. */
  readonly full: FullResult;
  /** Incremental cost / incremental cost at the fewest ports with the same hosts, paired per sample. */
  readonly portsRatio: ByClock<Summary>;
}

export interface CoreBenchResult {
  readonly sizes: readonly SizeResult[];
  readonly loopsPerSample: Readonly<Record<string, number>>;
  readonly eventsPerLoop: number;
  readonly seconds: number;
}

type Series = ByClock<number[]>;

interface Sized {
  readonly fx: CoreFixture;
  /** The facts of one event of each kind for the full recompute; null when it is estimated. */
  readonly full: FullFacts[] | null;
  readonly inc: Series;
  readonly fullMs: Series;
  readonly pairs: Series;
  readonly portsRatios: Series;
  fullSamples: number;
}

const series = (): Series => ({ cpu: [], wall: [] });
const push = (s: Series, v: ByClock<number>) => {
  s.cpu.push(v.cpu);
  s.wall.push(v.wall);
};
const both = <T>(f: (clock: 'cpu' | 'wall') => T): ByClock<T> => ({ cpu: f('cpu'), wall: f('wall') });
const summarizeSeries = (s: Series) => both((c) => summarize(s[c]));

/** The full recompute of one event, with an incremental sample right before and after it. */
async function sampleFullPair(s: Sized, full: readonly FullFacts[], loops: number): Promise<void> {
  const k = s.fullMs.cpu.length % full.length;
  const [before] = await sampleIncremental([s.fx], loops);
  const ms = await sampleFull(s.fx, k, full[k] as FullFacts, loops);
  const [after] = await sampleIncremental([s.fx], loops);
  if (!before || !after) throw new Error('no incremental sample');
  push(s.fullMs, ms);
  push(
    s.pairs,
    both((c) => (before[c] + after[c]) / 2 / 1000 / ms[c]),
  );
}

function estimateFull(s: Sized, all: readonly Sized[]): FullResult {
  const measured = all.filter((m) => m.full);
  const same = measured.filter((m) => m.fx.hosts === s.fx.hosts);
  const basis = (same.length > 0 ? same : measured).reduce((a, b) =>
    a.fx.hosts * a.fx.ports >= b.fx.hosts * b.fx.ports ? a : b,
  );
  const scale = (s.fx.hosts * s.fx.ports) / (basis.fx.hosts * basis.fx.ports);
  const estimatedMsPerEvent = both((c) => summarize(basis.fullMs[c]).median * scale);
  return {
    measured: false,
    estimatedMsPerEvent,
    ratio: both((c) => summarize(s.inc[c]).median / 1000 / estimatedMsPerEvent[c]),
    basis: `not run (${s.fx.hosts * s.fx.ports} view entries); ${basis.fx.hosts}x${basis.fx.ports} measured, scaled by hosts x ports: a lower bound, its cost per entry grows with size`,
  };
}

async function summarizeSize(s: Sized, all: readonly Sized[]): Promise<SizeResult> {
  const planned = await Promise.all(s.fx.events.map((e) => planPortEventIncremental(s.fx, e)));
  const reads = await Promise.all(s.fx.events.map((e) => countPortsReadIncremental(s.fx, e)));
  return {
    hosts: s.fx.hosts,
    ports: s.fx.ports,
    incrementalUsPerEvent: summarizeSeries(s.inc),
    portsReadPerEvent: Math.max(...reads),
    commandsPerEvent: planned.reduce((n, p) => n + (p.outbox?.commands.length ?? 0), 0) / planned.length,
    full: s.full
      ? { measured: true, msPerEvent: summarizeSeries(s.fullMs), ratio: summarizeSeries(s.pairs) }
      : estimateFull(s, all),
    portsRatio: summarizeSeries(s.portsRatios),
  };
}

export async function runCoreBench(o: CoreBenchOptions): Promise<CoreBenchResult> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const fixtures = o.sizes.map(({ hosts, ports }) => buildCoreFixture(hosts, ports)).map(withFreshRecord);
  const sized: Sized[] = fixtures.map((fx) => {
    const { hosts, ports } = fx;
    const full =
      hosts * ports <= o.fullMaxViewEntries ? fx.events.slice(0, 2).map((e) => factsAround(fx, e)) : null;
    return {
      fx,
      full,
      inc: series(),
      fullMs: series(),
      pairs: series(),
      portsRatios: series(),
      fullSamples: 0,
    };
  });
  log(`fixtures built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // One group per host count, fewest ports first: the denominator of the ports ratio.
  const groups = [...new Set(sized.map((s) => s.fx.hosts))].map((h) =>
    sized.filter((s) => s.fx.hosts === h).sort((a, b) => a.fx.ports - b.fx.ports),
  );

  const loops: Record<string, number> = {};
  for (const g of groups) {
    const fxs = g.map((s) => s.fx);
    for (const t0 = performance.now(); performance.now() - t0 < o.warmUpMs; ) await sampleIncremental(fxs, 1);
    // CPU time, median of 5: one wall-clock loop on a loaded machine can read several times long.
    const calibration: number[] = [];
    for (let i = 0; i < 5; i++)
      calibration.push(Math.max(...(await sampleIncremental(fxs, 1)).map((t) => t.cpu)));
    const perLoopMs = (summarize(calibration).median * (fxs[0]?.events.length ?? 1)) / 1000;
    loops[String(fxs[0]?.hosts)] = Math.max(1, Math.ceil(o.minSampleMs / perLoopMs));
    for (const s of g) {
      if (!s.full) continue;
      const warm = (await sampleFull(s.fx, 0, s.full[0] as FullFacts, loops[String(s.fx.hosts)] ?? 1)).wall;
      s.fullSamples = Math.max(3, Math.min(o.fullSamples, Math.floor(o.fullBudgetMs / Math.max(warm, 1))));
      log(`warm ${s.fx.hosts}x${s.fx.ports}: full recompute ${warm.toFixed(0)} ms, ${s.fullSamples} samples`);
    }
  }

  for (let r = 0; r < o.rounds; r++) {
    for (const g of [...groups.slice(r % groups.length), ...groups.slice(0, r % groups.length)]) {
      const n = loops[String(g[0]?.fx.hosts)] ?? 1;
      const us = await sampleIncremental(
        g.map((s) => s.fx),
        n,
        r,
      );
      const base = us[0] as ByClock<number>;
      g.forEach((s, i) => {
        const t = us[i] as ByClock<number>;
        push(s.inc, t);
        push(
          s.portsRatios,
          both((c) => t[c] / base[c]),
        );
      });
      for (const s of g) {
        const due = Math.floor(((r + 1) * s.fullSamples) / o.rounds) > s.fullMs.cpu.length;
        if (s.full && due) await sampleFullPair(s, s.full, n);
      }
    }
    log(`round ${r + 1}/${o.rounds}`);
  }

  const results: SizeResult[] = [];
  for (const s of sized) results.push(await summarizeSize(s, sized));
  return {
    sizes: results,
    loopsPerSample: loops,
    eventsPerLoop: sized[0]?.fx.events.length ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
}
