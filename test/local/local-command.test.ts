import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrategyRun } from '../../tools/sim/ab-run.js';
import type { AbSummary, SummaryRow } from '../../tools/sim/ab-summary.js';
import type { FailoverReplay, FailoverRun } from '../../tools/sim/failover-eval.js';
import type { VipFailoverRun } from '../../tools/sim/vip-failover-eval.js';
import { expectReportFits, viewReport } from '../support/report-browser.js';
import { type Finished, runCli } from './cli-process.js';

/**
 * The README's first command, run exactly as a user runs it (plus --out, to keep the checkout
 * clean), on the real DynamoDB Local, fauxqs and function bundles it boots itself. The asserts are
 * the bed's findings (docs/dataplane.md §6): they fail if the simulated data plane or the
 * controller behind it is wrong.
 */
let dir: string;
let run: Finished;
let summary: AbSummary;
let details: StrategyRun[];

const GRACEFUL = 815;
const NODE_LOSS = 3500;
const OVS = ['compute2', 'compute3'];
const PROXY = ['compute4', 'compute5'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'l2pop-local-'));
  run = await runCli('npx', ['l2pop', 'local', '--out', dir], 240_000);
  if (run.code === 0) {
    const json = JSON.parse(await readFile(path.join(dir, 'l2pop-ab.json'), 'utf8'));
    summary = json.summary;
    details = json.details;
  }
}, 260_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const row = (s: string) => summary.rows.find((r) => r.strategy === s) as SummaryRow;
const failover = (s: string, phase: string) =>
  details.find((d) => d.strategy === s)?.phases.find((p) => p.name === phase)?.failover as FailoverRun;
const vipFailover = (s: string, phase = 'VIP failover') =>
  details.find((d) => d.strategy === s)?.phases.find((p) => p.name === phase)?.vipFailover as VipFailoverRun;
const vms = (f: FailoverReplay, hosts: readonly string[]) => f.live.vms.filter((v) => hosts.includes(v.host));
/** The same VMs had the controller not reacted to the failover. */
const vmsIfControllerDown = (f: FailoverReplay, hosts: readonly string[]) =>
  f.frozen.vms.filter((v) => hosts.includes(v.host));

describe('npx l2pop local', () => {
  it('exits 0, prints one row per strategy and per failover within 120 columns, and shows progress on stderr', () => {
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(120);
    expect(lines[0]).toBe('Cost of the whole scenario');
    expect(lines[1]).toMatch(/^strategy\s+msgs\s+KiB\s+DynamoDB req/);
    for (const s of ['tunnel', 'master-binding', 'auto'])
      expect(run.stdout).toMatch(new RegExp(`^${s}\\s+\\d+\\s+[\\d.]+\\s+\\d+ \\(`, 'm'));
    // one row per failover, a column per strategy: three figures after the VRRP time
    expect(run.stdout).toMatch(/^failover\s+VRRP\s+tunnel\s+master-binding\s+auto$/m);
    expect(run.stdout).toMatch(
      /^r1 graceful failover\s+0\.82 s\s+4 never, 0\.8\d s, 3 no path\s+\d+\.\d\d s\s+\d+\.\d\d s$/m,
    );
    expect(run.stdout).toMatch(/^r1 network-node loss\s+3\.50 s\s+8 no path\s+/m);
    expect(run.stdout).toMatch(/^legend:\n {2}black-hole\s+a VM's outage/m);
    expect(run.stdout).toContain(`report:   ${path.join(dir, 'l2pop-ab.html')}`);
    expect(run.stdout).toContain(`summary:  ${path.join(dir, 'l2pop-ab.md')}`);
    expect(run.stdout).not.toContain('"_aws"');
    // 15 phases: the 11 of the router scenario and the VIP pair, claim, failover and VM loss
    expect(run.stderr).toMatch(/\[tunnel 7\/15\] r1 graceful failover: .* ok/);
    expect(run.stderr).not.toContain('NodeVersionSupportWarning');
  });

  it('gives a verdict from the measurements: auto, and which VMs tunnel leaves without a gateway and why', () => {
    expect(run.stdout).toMatch(/^verdict: pick auto: /m);
    expect(summary.verdict).toMatchObject({ measured: true, pick: 'auto' });
    const tunnel = summary.verdict.ranking.find((s) => s.strategy === 'tunnel');
    expect(summary.verdict.ranking.at(-1)?.strategy).toBe('tunnel');
    expect(tunnel?.lost).toBe(4);
    for (const s of ['master-binding', 'auto'])
      expect(summary.verdict.ranking.find((x) => x.strategy === s)?.lost, s).toBe(0);
    // the four Open vSwitch VMs behind r1, named with the reason
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      'tunnel, r1 graceful failover: compute2 (net-a), compute2 (net-b), compute3 (net-a), compute3 (net-b): ' +
        "an ARP-proxy node (net2) hosts r1: it drops the new master's GARPs",
    );
    expect(run.stdout).toMatch(/^ {2}tunnel\s+leaves 4 VMs without a gateway/m);
  });

  it('every agent converged to the desired state under every strategy, with real traffic counted', () => {
    expect(summary.converged).toBe(true);
    for (const r of summary.rows) {
      expect(r.converged, `${r.strategy}: ${r.mismatches.join('\n')}`).toBe(true);
      expect(r.messages).toBeGreaterThan(50);
      expect(r.bytes).toBeGreaterThan(10_000);
      expect(r.dynamoRequests).toBeGreaterThan(200);
      expect(r.writeUnits).toBeGreaterThan(0);
    }
  });

  it('tunnel needs no controller action on failover and floods frames to the router from agents that cannot learn', () => {
    const graceful = failover('tunnel', 'r1 graceful failover');
    expect(graceful.convergenceMs).toBeNull();
    const phase = details
      .find((d) => d.strategy === 'tunnel')
      ?.phases.find((p) => p.name === 'r1 graceful failover');
    expect(phase?.sqs.messages).toBe(0);
    const flooding = vms(graceful, ['compute6'])[0];
    expect(flooding?.copiesPerFrame).toBeGreaterThanOrEqual(2);
    expect(flooding?.outageMs).toBeGreaterThanOrEqual(GRACEFUL);
    expect(flooding?.outageMs).toBeLessThanOrEqual(GRACEFUL + 30);
  });

  it('tunnel never recovers where the new master node suppresses GARPs (kernel ARP proxy on net2)', () => {
    const graceful = failover('tunnel', 'r1 graceful failover');
    expect(graceful.live.garpCopies).toBe(0);
    for (const v of vms(graceful, OVS)) expect(v).toMatchObject({ okBefore: true, outageMs: null });
    // ARP proxy agents without an entry for the gateway cannot even resolve it under tunnel
    for (const v of vms(graceful, PROXY)) expect(v.okBefore).toBe(false);
  });

  it('master-binding recovers everywhere after VRRP plus the controller, and never if the controller is down', () => {
    expectControllerRecovery('master-binding');
  });

  it('auto gives every agent the master-binding view of a router that a proxy node (net2) hosts, so all recover in VRRP plus the controller', () => {
    expectControllerRecovery('auto');
    // the learning (Open vSwitch) agents are among them: net2 eats the GARPs, so they get the entry
    for (const phase of ['r1 graceful failover', 'r1 network-node loss'])
      for (const v of vms(failover('auto', phase), [...OVS, ...PROXY]))
        expect(v, `${phase}: ${v.host}`).toMatchObject({ okBefore: true, outageMs: expect.any(Number) });
    expect(row('auto').failovers[0]?.fanOut.max).toBe(1);
  });

  it('auto gives the learning agent the tunnel view of r2 (hosted on learning, non-proxy nodes): it fails over without the controller, the others wait for it', () => {
    const auto = failover('auto', 'r2 graceful failover');
    const mb = failover('master-binding', 'r2 graceful failover');
    const [learning] = vmsIfControllerDown(auto, ['compute1']);
    // controller down: the Open vSwitch VM recovers from the new master's GARP alone, at VRRP time
    expect(learning).toMatchObject({ okBefore: true, outageMs: expect.any(Number) });
    expect(learning?.outageMs).toBeGreaterThanOrEqual(GRACEFUL);
    expect(learning?.outageMs).toBeLessThanOrEqual(GRACEFUL + 30);
    // the proxy and non-learning agents hold the router's entry (master-binding view): stale without it
    for (const v of vmsIfControllerDown(auto, ['compute5', 'compute6']))
      expect(v, v.host).toMatchObject({ okBefore: true, outageMs: null });
    // master-binding gives every agent the entry, so none of them recovers with the controller down
    for (const v of mb.frozen.vms) expect(v, v.host).toMatchObject({ okBefore: true, outageMs: null });
    // live, every VM of net-c recovers under auto, within VRRP plus the controller at worst
    const reportDelay = auto.reportAt - auto.t0 - GRACEFUL;
    for (const v of auto.live.vms) {
      expect(v.outageMs, v.host).toBeGreaterThanOrEqual(GRACEFUL);
      expect(v.outageMs, v.host).toBeLessThanOrEqual(GRACEFUL + reportDelay + (auto.convergenceMs ?? 0) + 30);
    }
  });
});

describe('the VIP failover in the simulated data plane (vm-a2 on compute2 -> vm-a4 on compute4, behind an ARP proxy)', () => {
  it('is timed per strategy and shown next to the router failovers', () => {
    for (const s of ['tunnel', 'master-binding', 'auto']) {
      const f = row(s).failovers.find((x) => x.kind === 'vip');
      expect(f, s).toMatchObject({
        phase: 'VIP failover',
        target: 'VIP 10.1.0.100',
        from: 'compute2',
        to: 'compute4',
      });
      expect(f?.live.vms, s).toBe(3);
      // the clients: vm-a1 (compute3, learning), vm-a5 (compute5, ARP proxy), vm-a6 (compute6, floods)
      expect(vipFailover(s).live.vms.map((v) => v.host)).toEqual(['compute3', 'compute5', 'compute6']);
    }
    expect(run.stdout).toMatch(/^VIP failover\s+0\.82 s\s+0\.8\d s, 1 no path\s+\d+\.\d\d s\s+\d+\.\d\d s$/m);
  });

  it('tunnel: the client behind an ARP proxy never gets the VIP; learning (adverts) and flooding find it at VRRP time', () => {
    const f = vipFailover('tunnel');
    expect(f.convergenceMs).toBeNull();
    expect(f.live.garpCopies).toBe(0); // compute4's proxy eats vm-a4's GARPs
    expect(vms(f, ['compute5'])).toEqual([expect.objectContaining({ okBefore: false, firstReplyMs: null })]);
    for (const v of vms(f, ['compute3', 'compute6'])) {
      expect(v.okBefore, v.host).toBe(true);
      expect(v.outageMs, v.host).toBeGreaterThanOrEqual(GRACEFUL);
      expect(v.outageMs, v.host).toBeLessThanOrEqual(GRACEFUL + 30);
    }
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      "tunnel, VIP failover: compute5 (net-a): its ARP-proxy agent holds no ARP entry for the VIP: it drops the VM's ARP request",
    );
    expect(summary.verdict.reason).toContain('tunnel cannot serve a VIP behind an ARP-proxy agent');
  });

  it('master-binding and auto: every client recovers once the claim moved the entry, none if the controller is down', () => {
    for (const s of ['master-binding', 'auto']) {
      const f = vipFailover(s);
      expect(f.convergenceMs, s).toBeGreaterThan(0);
      const claimDelay = f.reportAt - f.t0 - GRACEFUL;
      for (const v of f.live.vms) {
        expect(v.okBefore, `${s} ${v.host}`).toBe(true);
        expect(v.outageMs, `${s} ${v.host}`).toBeGreaterThanOrEqual(GRACEFUL);
        expect(v.outageMs, `${s} ${v.host}`).toBeLessThanOrEqual(
          GRACEFUL + claimDelay + (f.convergenceMs ?? 0) + 30,
        );
      }
      expect(row(s).failovers.find((x) => x.kind === 'vip')?.live).toMatchObject({ never: 0, noPath: 0 });
      expect(summary.verdict.reason).not.toContain(`${s} cannot serve a VIP`);
    }
    // master-binding pins the virtual MAC behind compute2 with a static entry: with the controller down nobody recovers
    for (const v of vipFailover('master-binding').frozen.vms)
      expect(v, v.host).toMatchObject({ outageMs: null });
    // auto gave the learning agent the tunnel view until vm-a4 (behind a proxy) claimed: it follows the adverts alone
    const [learning] = vmsIfControllerDown(vipFailover('auto'), ['compute3']);
    expect(learning?.outageMs).toBeGreaterThanOrEqual(GRACEFUL);
    expect(learning?.outageMs).toBeLessThanOrEqual(GRACEFUL + 30);
  });
});

describe("the VIP's VM loss (vm-a4 on compute4 dies, vm-a2 on compute2 takes the VIP back)", () => {
  it("tunnel: while the owner sat behind compute4's proxy nobody could resolve the VIP; vm-a2's GARP gives it to all at VRRP time", () => {
    const f = vipFailover('tunnel', 'VIP VM loss');
    expect(f.spec.mode).toBe('vm-loss');
    expect(f.live.garpCopies).toBeGreaterThan(0);
    for (const v of f.live.vms) {
      expect(v.okBefore, v.host).toBe(false);
      expect(v.firstReplyMs, v.host).toBeGreaterThanOrEqual(NODE_LOSS);
      expect(v.firstReplyMs, v.host).toBeLessThanOrEqual(NODE_LOSS + 30);
    }
  });

  it('master-binding and auto: the clients with an ARP entry for the VIP recover once the claim moved it', () => {
    for (const s of ['master-binding', 'auto']) {
      const f = vipFailover(s, 'VIP VM loss');
      const claimDelay = f.reportAt - f.t0 - NODE_LOSS;
      for (const v of vms(f, ['compute3', 'compute5'])) {
        expect(v.okBefore, `${s} ${v.host}`).toBe(true);
        expect(v.outageMs, `${s} ${v.host}`).toBeGreaterThanOrEqual(NODE_LOSS);
        expect(v.outageMs, `${s} ${v.host}`).toBeLessThanOrEqual(
          NODE_LOSS + claimDelay + (f.convergenceMs ?? 0) + 30,
        );
      }
      // compute6 answers no ARP and compute4's proxy ate vm-a4's replies: no path before
      expect(vms(f, ['compute6'])[0]?.okBefore, s).toBe(false);
    }
  });
});

/**
 * Every VM that had a path recovers after the VRRP takeover plus the controller (its report delay
 * and convergence), at one copy per frame, and none does if the controller is down: a stale binding
 * never recovers.
 */
function expectControllerRecovery(strategy: string): void {
  for (const [phase, takeover] of [
    ['r1 graceful failover', GRACEFUL],
    ['r1 network-node loss', NODE_LOSS],
  ] as const) {
    const f = failover(strategy, phase);
    expect(f.convergenceMs).toBeGreaterThan(0);
    const reportDelay = f.reportAt - f.t0 - takeover;
    for (const v of f.live.vms.filter((x) => x.okBefore)) {
      expect(v.outageMs).toBeGreaterThanOrEqual(takeover);
      expect(v.outageMs).toBeLessThanOrEqual(takeover + reportDelay + (f.convergenceMs ?? 0) + 30);
      expect(v.copiesPerFrame).toBe(1);
    }
    for (const v of f.frozen.vms.filter((x) => x.okBefore)) expect(v.outageMs).toBeNull();
  }
  expect(row(strategy).failovers[0]?.live).toMatchObject({ never: 0, noPath: 0 });
}

describe('the HTML report in a real headless Chromium', () => {
  it('opens at 1400 and 900 px with no console error, no horizontal scroll, and draws every chart with a size', async () => {
    const html = await readFile(path.join(dir, 'l2pop-ab.html'), 'utf8');
    expect(html).toContain('Verdict: pick auto: ');
    for (const view of await viewReport(path.join(dir, 'l2pop-ab.html'), [1400, 900])) {
      // a failover timeline per strategy and failover (3 router failovers and the two VIP failovers, x 3), and 5 cost charts
      expectReportFits(view, 5 * 3 + 5);
    }
  }, 90_000);
});
