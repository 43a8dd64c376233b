import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentFleet } from './agent-fleet.js';
import { type ControlPlaneTimes, controlPlaneTimes } from './control-plane-times.js';
import type { FailoverScenario, FailureKind } from './failover-scenarios.js';
import type { KeepalivedHandle } from './keepalived.js';
import { stopKeepalived } from './keepalived.js';
import type { DataplaneController } from './local-controller.js';
import { measureOutage } from './measure-outage.js';
import type { NotifyHooks } from './notify-hooks.js';
import type { NotifyLog } from './notify-log.js';
import { PingProbe } from './ping-probe.js';
import { sleep, waitFor } from './run-command.js';
import type { RunRecord } from './run-record.js';
import {
  cutUnderlay,
  ROUTER_VIP,
  ROUTERS,
  type RouterName,
  type Topology,
  VMS,
  type VmName,
} from './topology.js';
import type { VipMonitor } from './vip-monitor.js';

export interface CaseContext {
  readonly scenario: FailoverScenario;
  readonly record: RunRecord;
  readonly topology: Topology;
  readonly notify: NotifyLog;
  readonly hooks: NotifyHooks;
  readonly controller: DataplaneController;
  readonly fleet: AgentFleet;
  readonly keepalived: Map<RouterName, KeepalivedHandle>;
  /** Per router: when the VIP really moved (kernel address events). */
  readonly vips: ReadonlyMap<RouterName, VipMonitor>;
  /** Epoch ms after which the whole run must be over. */
  readonly deadline: number;
}

export interface CaseResult {
  readonly scenario: string;
  readonly strategy: string;
  readonly failure: FailureKind;
  readonly observer: string;
  readonly agent: { readonly learning: boolean; readonly arp: string };
  readonly expected: 'recover' | 'no-recovery';
  readonly recovered: boolean;
  readonly outage_ms: number | null;
  /** VRRP's switch time from the new master's notify hook timestamp (what the issue asks for). */
  readonly vrrp_ms: number | null;
  /** The same from the kernel: the VIP appearing on the new master's qr. */
  readonly vip_ms: number | null;
  readonly controller_overhead_ms: number | null;
  readonly sent: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly gaps: number;
  readonly interval_ms: number;
  readonly observed_ms: number;
  /** Negative controls with the controller stopped: outage once it is started again. */
  readonly outage_after_resume_ms?: number | null;
  /** Where the time went on the control plane, from the new master's notify stamp (epoch-ms differences). */
  readonly control_plane: ControlPlaneTimes;
}

const now = () => performance.timeOrigin + performance.now();
const round = (n: number | null) => (n === null ? null : Math.round(n));
/** Observation windows: VRRP needs ~0.8 s after a graceful stop and ~3.6 s after node loss (dataplane.md). */
const WINDOW_MS: Record<FailureKind, number> = { graceful: 6000, 'node-loss': 9000 };

function bounded(ctx: CaseContext, ms: number): number {
  return Math.max(0, Math.min(ms, ctx.deadline - Date.now()));
}

/**
 * One failure, measured from every VM at once: start pings, require a healthy baseline, trigger
 * the failure on the current master, watch until every VM has had 1 s of steady replies again (or
 * the window ends), then compute the outage from reply timestamps and VRRP time from notify lines.
 */
export async function runFailureCase(
  ctx: CaseContext,
  failure: FailureKind,
  master: RouterName,
): Promise<CaseResult[]> {
  const standby: RouterName = master === 'rtr1' ? 'rtr2' : 'rtr1';
  const vms = Object.keys(VMS) as VmName[];
  const probes = new Map(
    vms.map((vm) => [vm, new PingProbe(ctx.record, ctx.topology.ns[vm], vm, ROUTER_VIP)]),
  );
  const all = [...probes.values()];
  try {
    await waitFor(`baseline pings of ${ctx.scenario.id}`, bounded(ctx, 8000), () =>
      all.every((p) => p.recentReplies(800) >= 30),
    );
    if (ctx.scenario.controllerStopped) await ctx.controller.pause();
    await sleep(300);
    let failedAt = now();
    if (failure === 'graceful') {
      const handle = ctx.keepalived.get(master);
      if (!handle) throw new Error(`no keepalived recorded for ${master}`);
      void stopKeepalived(handle);
    } else {
      await cutUnderlay(ctx.topology, ROUTERS[master].host);
      failedAt = now();
    }
    const windowEnd = failedAt + bounded(ctx, WINDOW_MS[failure]);
    // Recovered as the measurement defines it (a steady tail after the last gap), so observation
    // never stops inside a late flap.
    const steady = () =>
      all.every(
        (p) => (p.lastReplyAt ?? 0) > failedAt + 100 && measureOutage(p.replies, failedAt, now()).recovered,
      );
    while (now() < windowEnd && !(ctx.scenario.expectRecovery && steady())) await sleep(50);
    let observedUntil = now();
    let resumedAt: number | null = null;
    if (ctx.scenario.controllerStopped) {
      resumedAt = now();
      await ctx.controller.resume();
      await waitFor('recovery after the controller resumed', bounded(ctx, 5000), steady).catch(
        () => undefined,
      );
      observedUntil = now();
    }
    const promoted = ctx.notify.find((l) => l.router === standby && l.state === 'MASTER' && l.t > failedAt);
    const vrrpMs = promoted ? promoted.t - failedAt : null;
    const vipAt = ctx.vips.get(standby)?.firstAddedAfter(failedAt) ?? null;
    const controlPlane = controlPlaneTimes({
      promoted,
      host: ROUTERS[standby].host,
      senderLog: ctx.hooks.senderLog,
      invocations: ctx.controller.invocations,
      agentLogs: ctx.fleet.logs,
      until: observedUntil,
    });
    const stats = await Promise.all(
      vms.map(async (vm) => [vm, await (probes.get(vm) as PingProbe).stop()] as const),
    );
    // FAILOVER_DEBUG=1 keeps the raw timelines (replies, agent logs, VIP moves) next to the run
    // directories in test/e2e/results/tmp/, which teardown does not remove.
    if (process.env.FAILOVER_DEBUG) {
      const dump = {
        vips: [...ctx.vips].map(([r, v]) => [r, v.changes]),
        failedAt,
        observedUntil,
        resumedAt,
        promoted,
        controlPlane,
        invocations: ctx.controller.invocations.filter((i) => i.t > failedAt - 100),
        logs: ctx.fleet.logs.filter((l) => l.t > failedAt - 100),
        replies: Object.fromEntries(vms.map((vm) => [vm, probes.get(vm)?.replies])),
      };
      writeFileSync(
        path.join(
          path.dirname(ctx.record.dir),
          `debug-${ctx.scenario.id.replaceAll('/', '_')}-${failure}.json`,
        ),
        JSON.stringify(dump),
      );
    }
    return stats.map(([vm, { sent, received }]) => {
      const probe = probes.get(vm) as PingProbe;
      const windowed = resumedAt === null ? probe.replies : probe.replies.filter((r) => r.t < resumedAt);
      const m = measureOutage(windowed, failedAt, resumedAt ?? observedUntil);
      const afterResume = resumedAt === null ? null : measureOutage(probe.replies, failedAt, observedUntil);
      const host = VMS[vm].host;
      return {
        scenario: ctx.scenario.id,
        strategy: ctx.scenario.strategy,
        failure,
        observer: `${vm}@${host}`,
        agent: ctx.scenario.agents[host],
        expected: ctx.scenario.expectRecovery ? 'recover' : 'no-recovery',
        recovered: m.recovered,
        outage_ms: m.outageMs,
        vrrp_ms: round(vrrpMs),
        vip_ms: round(vipAt === null ? null : vipAt - failedAt),
        controller_overhead_ms:
          m.outageMs !== null && vrrpMs !== null ? Math.round(m.outageMs - vrrpMs) : null,
        sent,
        lost: sent - received,
        duplicates: probe.duplicates,
        gaps: m.gaps,
        interval_ms: Math.round(m.intervalMs * 10) / 10,
        observed_ms: Math.round((resumedAt ?? observedUntil) - failedAt),
        ...(afterResume ? { outage_after_resume_ms: afterResume.outageMs } : {}),
        control_plane: controlPlane,
      } satisfies CaseResult;
    });
  } finally {
    await Promise.all(all.map((p) => p.stop()));
  }
}
