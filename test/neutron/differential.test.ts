import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStoredExamples } from './examples.js';
import { generateTrace } from './generator.js';
import { oracleUnavailableReason, runOracle } from './oracle.js';
import { createOraclePool } from './oracle-worker.js';
import { mapPool } from './pool.js';
import { describeBugs, runDifferential, type TraceOutcome } from './run-trace.js';
import { formatSummary, summarize } from './summary.js';

/**
 * Differential test against the real Neutron 21 l2pop code (issue 7): the stored oracle examples,
 * the traces in ./regressions (bugs once found, and traces kept for the HA situations they reach),
 * and FRESH_TRACES new random traces whose seeds are logged. Reproduce a failure with `NEUTRON_SEED=<seed> npx vitest run test/neutron`
 * or `npx tsx test/neutron/campaign.ts --count 1 --seed <seed> --events 20`.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
/** Oracle processes at once: each takes a whole CPU. */
const JOBS = 2;
const FRESH_TRACES = 20;
const FRESH_EVENTS = 20;
function freshSeed(): number {
  const raw = process.env.NEUTRON_SEED;
  if (raw === undefined || raw === '') return Date.now() % 1_000_000_000;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`NEUTRON_SEED must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

function deviationKinds(o: TraceOutcome): string[] {
  return [...new Set((o.comparison?.diffs ?? []).map((d) => d.kind))].sort();
}

function regressionCases(): { name: string; trace: unknown }[] {
  const dir = join(HERE, 'regressions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: `regression ${f}`,
      trace: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown,
    }));
}

describe('Neutron examples: stored oracle outputs, folded (no oracle run)', () => {
  /** Which deliberate deviations each example shows; the others must equal Neutron exactly. */
  const expected: Record<string, string[]> = {
    '05_ip_change': ['chg-ip-inactive-port'],
    '06_agent_restart': ['tunnel-ip-change'],
    '09_network_types': ['full-sync-unfiltered-types'],
  };
  for (const ex of loadStoredExamples()) {
    it(`${ex.name}: our end state equals Neutron's, up to its deliberate deviations`, async () => {
      const o = await runDifferential(ex.trace, { name: ex.name, oracle: ex.oracle });
      expect(describeBugs(o)).toEqual([]);
      expect(deviationKinds(o)).toEqual(expected[ex.name] ?? []);
    });
  }
});

const unavailable = oracleUnavailableReason();
if (unavailable !== null) console.warn(`neutron differential tests SKIPPED: ${unavailable}`);

describe.skipIf(unavailable !== null)(
  `differential against Neutron 21${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    const seed = freshSeed();
    const cases: { name: string; trace: unknown; seed?: number }[] = [
      ...regressionCases(),
      ...Array.from({ length: FRESH_TRACES }, (_, i) => ({
        name: `fresh seed ${seed + i}`,
        trace: generateTrace(seed + i, { events: FRESH_EVENTS }),
        seed: seed + i,
      })),
    ];
    const outcomes = new Map<string, TraceOutcome>();
    let viaCli: unknown = null;
    let viaWorker: unknown = null;

    beforeAll(async () => {
      console.log(
        `neutron differential: fresh seeds ${seed}..${seed + FRESH_TRACES - 1} (rerun with NEUTRON_SEED=${seed})`,
      );
      const pool = createOraclePool({ jobs: JOBS });
      try {
        // the batch worker must be a faithful stand-in for the CLI the issue names
        const probe = generateTrace(seed, { events: FRESH_EVENTS });
        const [cli, worker] = await Promise.all([runOracle(probe), pool.run(probe)]);
        viaCli = { notifications: cli.notifications, fdb: cli.fdb, trace: cli.trace };
        viaWorker = { notifications: worker.notifications, fdb: worker.fdb, trace: worker.trace };
        const results = await mapPool(cases, JOBS, (c) =>
          runDifferential(c.trace, {
            name: c.name,
            runOracle: pool.run,
            ...(c.seed === undefined ? {} : { seed: c.seed }),
          }),
        );
        for (const o of results) outcomes.set(o.name, o);
        console.log(formatSummary(summarize(results)));
      } finally {
        pool.close();
      }
    }, 20 * 60_000);

    it('gets the same answer from the batch worker as from one `oracle-harness --state --names --trace` run', () => {
      expect(viaWorker).toEqual(viaCli);
    });

    it('shows path dependence (e) as real agents see it: a host that joins during a failover never floods to the old master', () => {
      const o = outcomes.get('regression path-dependence-join-during-failover.json');
      expect(o?.verdict).toBe('equal');
      expect(o?.agentView.map((d) => `${d.host} ${d.network} ${d.vtep} ${d.entry[1]} ${d.side}`)).toEqual([
        'compute1 net1 192.0.2.1 0.0.0.0 ours-only',
      ]);
    });

    it('matches Neutron exactly on allowed-address pairs and VIP claims under tunnel: nothing for the VIP on either side', () => {
      const o = outcomes.get('regression vip-allowed-address-pairs.json');
      expect(o?.verdict).toBe('equal');
      expect(o?.coverage.ops.vip_claim).toBe(3);
      expect(o?.coverage.situations['allowed-address-pairs']).toBeGreaterThan(0);
      expect(o?.coverage.situations['vip-claim-virtual-mac']).toBeGreaterThan(0);
    });

    for (const c of cases) {
      it(`${c.name}: our end state equals Neutron's, up to deliberate deviations`, () => {
        const o = outcomes.get(c.name);
        expect(o, 'no outcome: the oracle batch did not finish').toBeDefined();
        expect(describeBugs(o as TraceOutcome)).toEqual([]);
        expect(o?.verdict).not.toBe('error');
      });
    }
  },
);
