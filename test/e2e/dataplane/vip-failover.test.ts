import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFunctions } from '../../../scripts/build.mjs';
import { compareClaims, type HeldVipState, recordVipClaim, type VipClaim } from '../../../src/core/vip.js';
import { renderVipTable } from './render-vip-table.js';
import { HARNESS_ENV } from './run-command.js';
import { cleanStaleRuns } from './run-record.js';
import {
  runVipScenario,
  type VipCaseResult,
  type VipScenario,
  type VipScenarioReport,
} from './run-vip-scenario.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const TMP = `${RESULTS}tmp`;
const BUDGET_MS = 420_000;
/** Rounds per scenario: each round is a graceful failover (va -> vb) and the loss of the new master (vb -> va). */
const ROUNDS = Number(process.env.VIP_ROUNDS ?? 3);
const ROUND: VipScenario['failures'] = ['graceful', 'vm-loss'];

/** The goals of issue 16: overhead over VRRP's own switch time, per strategy, on the agents it serves. */
const GOALS_MS = { tunnel: 20, 'master-binding': 150 } as const;

/**
 * The goal of a cell: its strategy's, and under `auto` the goal of the view the observer's agent
 * gets (`computeRouterView`: o1 learns, runs no ARP proxy and neither do the VIP's hosts h1 and
 * h2, so it gets the tunnel view; o2 runs an ARP proxy, so it gets the master-binding view).
 */
function goalOf(strategy: string, observer: string): number | undefined {
  if (strategy === 'auto') return observer.startsWith('c1@') ? GOALS_MS.tunnel : GOALS_MS['master-binding'];
  return GOALS_MS[strategy as keyof typeof GOALS_MS];
}

const VIP_SCENARIOS: readonly VipScenario[] = [
  {
    id: 'tunnel',
    strategy: 'tunnel',
    claimHosts: ['h1', 'h2'],
    failures: Array.from({ length: ROUNDS }, () => ROUND).flat(),
    expect: { c1: 'recover', c2: 'unanswered' },
    // Measured: the proxy VTEP does not stop the IPv6 VIP from resolving (docs/vip.md).
    expectFor: (client, _vip, family) => (client === 'c2' && family === 6 ? 'observe' : undefined),
    why: "flooding + learning on o1: the new master's announcements repoint the client (plain VIP) and the learned vmac entry; o2 (ARP proxy, no entry for the VIP) is the negative control: its client's own requests for the VIP are never answered",
  },
  {
    id: 'master-binding',
    strategy: 'master-binding',
    claimHosts: ['h1', 'h2'],
    failures: Array.from({ length: ROUNDS }, () => ROUND).flat(),
    expect: { c1: 'recover', c2: 'recover' },
    why: "the agents' claims move the VIP's ARP/neighbour entry (and the vmac's unicast entry) on every agent: the ARP-proxy observer recovers too",
  },
  {
    id: 'auto',
    strategy: 'auto',
    claimHosts: ['h1', 'h2'],
    failures: Array.from({ length: ROUNDS }, () => ROUND).flat(),
    expect: { c1: 'recover', c2: 'recover' },
    why: "per agent: o1 (learning, no ARP proxy, nor on the VIP's hosts) gets the tunnel view and recovers by learning; o2 (ARP proxy) gets the master-binding view and follows the claims",
  },
  {
    id: 'master-binding/claims-off',
    strategy: 'master-binding',
    claimHosts: ['h1'],
    failures: ['graceful'],
    expect: { c1: 'recover', c2: 'no-recovery' },
    // c2 picks a plain VIP's new MAC up from vb's GARP itself (its kernel updates the entry it
    // has), and both clients the IPv6 ones; the vmac IPv4 VIP, whose move needs the controller's
    // unicast entry (the virtual MAC is pinned behind h1), must stay black-holed for both.
    expectFor: (client, vip, family) =>
      family === 6 || (client === 'c2' && vip === 'plain')
        ? 'observe'
        : client === 'c1' && vip === 'vmac'
          ? 'no-recovery'
          : undefined,
    why: "negative control: vb's host sends no claims, so the controller keeps the VIPs on va: o2's entries stay on va's MAC and the virtual MAC stays pinned behind h1, so both clients stay black-holed on the vmac VIP",
  },
];

function versionOf(argv: string[]): string | null {
  const [file, ...args] = argv;
  const out = spawnSync(file as string, args, { env: HARNESS_ENV, encoding: 'utf8', timeout: 5000 });
  if (out.error || out.status !== 0) return null;
  return `${out.stdout}${out.stderr}`.trim().split('\n')[0] ?? '';
}

const keepalived = versionOf(['keepalived', '--version']);
const tcpdump = versionOf(['tcpdump', '--version']);
const missing = [
  process.getuid?.() === 0 ? null : 'not root (network namespaces and VRRP need root)',
  keepalived === null ? 'keepalived missing (apt-get install keepalived)' : null,
  tcpdump === null ? 'tcpdump missing (apt-get install tcpdump)' : null,
  versionOf(['ping', '-V']) === null ? 'ping missing (apt-get install iputils-ping)' : null,
].filter((m): m is string => m !== null);

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** One cell per (scenario, failure, VIP, family, observer): medians over the rounds. */
function cells(results: readonly VipCaseResult[]) {
  const groups = new Map<string, VipCaseResult[]>();
  for (const r of results) {
    const key = [r.scenario, r.failure, r.vip, r.family, r.observer].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .map((rows) => {
      const r = rows[0] as VipCaseResult;
      const nums = (f: (x: VipCaseResult) => number | null) =>
        rows.map(f).filter((v): v is number => v !== null);
      return {
        scenario: r.scenario,
        failure: r.failure,
        vip: r.vip,
        family: r.family,
        observer: r.observer,
        expected: r.expected,
        rounds: rows.length,
        recovered: rows.filter((x) => x.recovered).length,
        median_outage_ms: median(nums((x) => x.outage_ms)),
        median_vrrp_ms: median(nums((x) => x.vrrp_ms)),
        median_overhead_ms: median(nums((x) => x.overhead_ms)),
        max_overhead_ms: nums((x) => x.overhead_ms).reduce<number | null>(
          (a, b) => Math.max(a ?? b, b),
          null,
        ),
        median_claim_ms: median(nums((x) => x.claim_ms)),
        median_handled_ms: median(nums((x) => x.handled_ms)),
        median_received_ms: median(nums((x) => x.received_ms)),
        median_applied_ms: median(nums((x) => x.applied_ms)),
        goal_ms: r.expected === 'recover' ? goalOf(r.strategy, r.observer) : null,
      };
    })
    .map((cell) => ({
      ...cell,
      // Reported, not asserted (as the router bed): docs/vip.md says which goals hold and why not.
      goal_met:
        cell.goal_ms === null || cell.goal_ms === undefined || cell.median_overhead_ms === null
          ? null
          : cell.median_overhead_ms <= cell.goal_ms,
    }));
}

describe('VIP failover on the real kernel data plane', () => {
  it.skipIf(missing.length > 0)(
    missing.length > 0
      ? `SKIPPED (${missing.join(', ')}): keepalived VIPs in VM namespaces, outage per strategy`
      : 'plain and use_vmac VIPs, IPv4 and IPv6, graceful and VM loss: outage per strategy against VRRP, claims seen, negative controls hold',
    async () => {
      const stale = await cleanStaleRuns(TMP);
      const deadline = Date.now() + BUDGET_MS;
      await buildFunctions({ logLevel: 'error' });
      const only = process.env.VIP_ONLY?.split(',');
      const reports: VipScenarioReport[] = [];
      for (const scenario of VIP_SCENARIOS.filter((s) => !only || only.includes(s.id)))
        reports.push(await runVipScenario(scenario, TMP, { deadline }));
      const results = reports.flatMap((r) => r.results);
      const summary = cells(results);
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(
        `${RESULTS}vip-failover.json`,
        `${JSON.stringify(
          {
            generated_at: new Date().toISOString(),
            reproduce:
              'flock /tmp/l2pop-dataplane.lock npx vitest run --project dataplane test/e2e/dataplane/vip-failover.test.ts (as root)',
            goals_overhead_ms: { ...GOALS_MS, auto: 'per observer: the goal of the view its agent gets' },
            machine: {
              kernel: os.release(),
              cpus: os.cpus().length,
              node: process.version,
              keepalived,
              tcpdump,
            },
            stale_runs_cleaned: stale,
            scenarios: reports.map((r) => ({ ...r, results: undefined })),
            cells: summary,
            results,
          },
          null,
          1,
        )}\n`,
      );
      writeFileSync(`${RESULTS}vip-failover.md`, renderVipTable(summary));

      for (const report of reports) {
        expect(report.error, report.id).toBeUndefined();
        expect(report.leftovers, `${report.id} left namespaces or processes behind`).toEqual([]);
        expect(report.dropped, `${report.id}: the agents dropped genuine announcements`).toEqual({});
        // the watched ports' files list no pairs: the agents checked the claims against the
        // controller's record of their ports
        expect(
          report.claim_basis.controller ?? 0,
          `${report.id}: claims checked against the controller's record`,
        ).toBeGreaterThan(0);
        expect(report.claim_basis.file, `${report.id}: no file lists pairs`).toBeUndefined();
      }
      for (const row of results) {
        const label = `${row.scenario} round ${row.round} ${row.failure} ${row.vip} IPv${row.family} ${row.observer}`;
        if (row.expected === 'unanswered') {
          expect(row.proxy_entry_mac, `${label}: the proxy agent has no entry for the VIP`).toBeNull();
          if (row.round === 1 && row.failure === 'graceful')
            expect(row.replies_before, `${label}: unanswered before the first failover`).toBe(0);
        } else if (row.expected === 'no-recovery') expect(row.recovered, label).toBe(false);
        // The new master's agent saw its announcement and claimed the VIP at the MAC it announced.
        if (row.scenario !== 'master-binding/claims-off') {
          expect(row.claim_ms, `${label}: claim`).not.toBeNull();
          expect(row.claim_mac, `${label}: claimed MAC`).toBe(row.owner_mac);
        }
        // Under tunnel a claim is recorded but no agent is sent anything: nothing in the failover's
        // path waits for the controller, so its overhead is the data plane's own (docs/vip.md).
        if (row.scenario === 'tunnel')
          expect(row.applied_ms, `${label}: no command applied after the claim`).toBeNull();
        // Under master-binding both observers' agents apply the claim's command.
        if (row.scenario === 'master-binding')
          expect(row.applied_ms, `${label}: the claim's command applied`).not.toBeNull();
      }
      // A cell that must recover does so in most of its rounds (each round's outcome is in the results).
      for (const cell of summary.filter((c) => c.expected === 'recover'))
        expect(
          cell.recovered * 2,
          `${cell.scenario} ${cell.failure} ${cell.vip} IPv${cell.family} ${cell.observer}: recovered rounds`,
        ).toBeGreaterThan(cell.rounds);
      // The claims-off control: the proxy agent still maps the IPv4 VIPs to the old owner.
      for (const row of results.filter((r) => r.scenario === 'master-binding/claims-off' && r.family === 4))
        expect(row.proxy_entry_mac, `${row.vip}: o2 still points at va`).toBe(
          row.vip === 'vmac' ? '00:00:5e:00:01:34' : 'fa:16:3e:00:01:31',
        );
      // Under master-binding the new owner's MAC reaches the proxy agent (the plain IPv4 VIP moves to
      // vb's MAC); under auto too, since the proxy agent gets the master-binding view.
      for (const row of results.filter(
        (r) => ['master-binding', 'auto'].includes(r.scenario) && r.vip === 'plain',
      ))
        expect(row.proxy_entry_mac, `${row.failure} round ${row.round}: o2 follows the claim`).toBe(
          row.owner_mac,
        );
    },
    BUDGET_MS + 60_000,
  );

  it.skipIf(missing.length > 0)(
    missing.length > 0
      ? `SKIPPED (${missing.join(', ')}): split brain between two keepalived VMs`
      : 'split brain: two near-simultaneous claims from two hosts resolve to the newest, and raise the split-brain signal',
    async () => {
      await buildFunctions({ logLevel: 'error' });
      const report = await runVipScenario(
        {
          id: 'master-binding/split-brain',
          strategy: 'master-binding',
          claimHosts: ['h1', 'h2'],
          failures: [],
          expect: { c1: 'observe', c2: 'observe' },
          splitBrain: true,
          why: 'both VMs master at once (different router ids): one announcement each, from two hosts',
        },
        TMP,
        { deadline: Date.now() + 90_000 },
      );
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(
        `${RESULTS}vip-split-brain.json`,
        `${JSON.stringify({ generated_at: new Date().toISOString(), ...report }, null, 1)}\n`,
      );
      expect(report.error).toBeUndefined();
      expect(report.leftovers).toEqual([]);
      const sb = report.split_brain;
      expect(sb).toBeDefined();
      const claims: VipClaim[] = (sb?.claims ?? []).map((c) => ({ ...c }));
      expect(new Set(claims.map((c) => c.host))).toEqual(new Set(['h1', 'h2']));
      expect(
        sb?.apart_ms as number,
        'the two hosts announced within the split-brain window',
      ).toBeLessThanOrEqual(1000);
      const newest = [...claims].sort(compareClaims).at(-1) as VipClaim;
      // The controller (bundled handlers, DynamoDB Local) ended on the newest claim: the proxy agent points there.
      expect(sb?.proxy_entry_mac).toBe(newest.mac);
      // The signal: the core's fold of these very claims, in either delivery order. The runtime logs and
      // counts it (VipSplitBrain), but the bed runs the functions silent, so it is checked here.
      for (const order of [claims, [...claims].reverse()]) {
        let state: HeldVipState | undefined;
        let raised = false;
        for (const c of order) {
          const out = recordVipClaim(state, c);
          raised ||= out.splitBrain;
          if (out.kind === 'applied') state = out.state;
        }
        expect(raised).toBe(true);
        expect(state?.owner.mac).toBe(newest.mac);
      }
    },
    150_000,
  );
});
