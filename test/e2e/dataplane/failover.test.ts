import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFunctions } from '../../../scripts/build.mjs';
import { bundleNotifySender } from './bundle-notify.js';
import { SCENARIOS } from './failover-scenarios.js';
import { NOTIFY_MODES, type NotifyMode } from './notify-hooks.js';
import { HARNESS_ENV } from './run-command.js';
import { runFailoverScenario, type ScenarioReport } from './run-failover-scenario.js';
import { cleanStaleRuns } from './run-record.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const TMP = `${RESULTS}tmp`;
/** The whole file must finish in under 6 minutes; scenarios that would not fit are reported as skipped. */
const BUDGET_MS = 320_000;
const SCENARIO_WORST_MS = 60_000;

/** First line a tool prints about its version (stdout or stderr), or null when it cannot run. */
function versionOf(argv: string[]): string | null {
  const [file, ...args] = argv;
  const out = spawnSync(file as string, args, { env: HARNESS_ENV, encoding: 'utf8', timeout: 5000 });
  if (out.error || out.status !== 0) return null;
  return `${out.stdout}${out.stderr}`.trim().split('\n')[0] ?? '';
}

/** FAILOVER_NOTIFY=exec: a sender process per transition instead of keepalived's notify FIFO (for comparison). */
const notifyMode: NotifyMode = NOTIFY_MODES.find((m) => m === process.env.FAILOVER_NOTIFY) ?? 'fifo';
const keepalived = versionOf(['keepalived', '--version']);
const missing = [
  process.getuid?.() === 0 ? null : 'not root (network namespaces and VRRP need root)',
  keepalived === null ? 'keepalived missing (apt-get install keepalived)' : null,
  versionOf(['ip', '-V']) === null ? 'iproute2 missing (apt-get install iproute2)' : null,
  versionOf(['ping', '-V']) === null ? 'ping missing (apt-get install iputils-ping)' : null,
].filter((m): m is string => m !== null);

describe('HA router failover on the real kernel data plane', () => {
  it.skipIf(missing.length > 0)(
    missing.length > 0
      ? `SKIPPED (${missing.join(', ')}): measures outage per strategy with keepalived in network namespaces`
      : 'measures outage per strategy and failure; positives recover, negative controls do not',
    async () => {
      const stale = await cleanStaleRuns(TMP);
      const deadline = Date.now() + BUDGET_MS;
      // The function bundles the pollers invoke, and the sender keepalived's hooks run: built once.
      const [, senderBundle] = await Promise.all([
        buildFunctions({ logLevel: 'error' }),
        bundleNotifySender(),
      ]);
      const reports: (ScenarioReport | { id: string; skipped: string })[] = [];
      // FAILOVER_ONLY=tunnel,auto runs a subset while iterating on one strategy.
      const only = process.env.FAILOVER_ONLY?.split(',');
      for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.id))) {
        if (deadline - Date.now() < SCENARIO_WORST_MS) {
          reports.push({ id: scenario.id, skipped: 'time budget exhausted' });
          continue;
        }
        reports.push(await runFailoverScenario(scenario, TMP, { senderBundle, notifyMode, deadline }));
      }
      const results = reports.flatMap((r) => ('results' in r ? r.results : []));
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(
        `${RESULTS}failover.json`,
        `${JSON.stringify(
          {
            generated_at: new Date().toISOString(),
            reproduce: 'npm run test:dataplane (as root)',
            notify_mode: notifyMode,
            machine: { kernel: os.release(), cpus: os.cpus().length, node: process.version, keepalived },
            stale_runs_cleaned: stale,
            scenarios: reports.map((r) => ('results' in r ? { ...r, results: undefined } : r)),
            results,
          },
          null,
          1,
        )}\n`,
      );

      for (const report of reports) {
        expect('skipped' in report ? report.skipped : undefined, report.id).toBeUndefined();
        if (!('results' in report)) continue;
        expect(report.error, report.id).toBeUndefined();
        expect(report.leftovers, `${report.id} left namespaces or processes behind`).toEqual([]);
      }
      for (const row of results) {
        const label = `${row.scenario} ${row.failure} ${row.observer}`;
        expect(row.recovered, label).toBe(row.expected === 'recover');
        if (row.outage_after_resume_ms !== undefined)
          expect(row.outage_after_resume_ms, `${label} after resume`).not.toBeNull();
      }
    },
    BUDGET_MS + 40_000,
  );
});
