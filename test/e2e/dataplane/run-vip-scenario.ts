import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Strategy } from '../../../src/core/types.js';
import { AgentFleet } from './agent-fleet.js';
import { type DataplaneController, startDataplaneController } from './local-controller.js';
import { measureOutage } from './measure-outage.js';
import { PingProbe } from './ping-probe.js';
import { ipIn, runCommand, sleep, waitFor } from './run-command.js';
import { closeScenario, RunRecord, type ScenarioReportHead } from './run-record.js';
import {
  AddressMonitor,
  CLIENTS,
  clearVipLeftovers,
  createVipTopology,
  type KeepalivedVm,
  pinClientNeighbours,
  setPort,
  startVmKeepalived,
  stopVmKeepalived,
  VIP_HOST_IDS,
  VIP_VMS,
  VIPS,
  type VipKind,
  type VipTopology,
  type VmKeepalived,
  vipAgentSpecs,
  vipEvents,
} from './vip-bed.js';

export type VipFailure = 'graceful' | 'vm-loss';
type Client = (typeof CLIENTS)[number];
/**
 * What a client must see: recovery after each failure; `unanswered`: its own requests for the VIP
 * are never answered (no reply before the first failure, no entry on its proxy agent; it may still
 * pick the VIP up from a later announcement); no recovery; or nothing asserted (measured only).
 */
export type VipExpectation = 'recover' | 'unanswered' | 'no-recovery' | 'observe';

export interface VipScenario {
  readonly id: string;
  readonly strategy: Strategy;
  /** Which VIP hosts' agents watch their port and send claims. */
  readonly claimHosts: readonly ('h1' | 'h2')[];
  readonly failures: readonly VipFailure[];
  readonly expect: Readonly<Record<Client, VipExpectation>>;
  /**
   * Split brain instead of failures: both VMs become master at once (vb on other router ids) and
   * announce the plain VIP once each; the report says which claim is newest and where o2 points.
   */
  readonly splitBrain?: boolean;
  /** Overrides of `expect` for some addresses. */
  readonly expectFor?: (client: Client, vip: VipKind, family: 4 | 6) => VipExpectation | undefined;
  readonly why: string;
}

export interface VipCaseResult {
  readonly scenario: string;
  readonly strategy: Strategy;
  readonly round: number;
  readonly failure: VipFailure;
  readonly vip: VipKind;
  readonly family: 4 | 6;
  readonly observer: string;
  readonly expected: VipExpectation;
  readonly recovered: boolean;
  readonly replies: number;
  /** Replies received before the failure (0: the client had not reached the VIP). */
  readonly replies_before: number;
  readonly outage_ms: number | null;
  /** VRRP's own switch time: the VIP address appearing on the new master (kernel address event). */
  readonly vrrp_ms: number | null;
  readonly overhead_ms: number | null;
  /** The new master's host agent sent its first claim for the address (agent log, from the failure). */
  readonly claim_ms: number | null;
  readonly claim_mac: string | null;
  /**
   * Where the controller's part of the outage went, each from the failure (null where it did not
   * happen): the `agent-events` invocation that followed the claim settled (commands published,
   * then the poller's delete), and the observer's agent received and applied the next command.
   */
  readonly handled_ms: number | null;
  readonly received_ms: number | null;
  readonly applied_ms: number | null;
  /** The MAC the new master announces the address at: its port's, or the virtual MAC. */
  readonly owner_mac: string;
  readonly gaps: number;
  readonly interval_ms: number;
  /** The ARP-proxy agent's neighbour entry for the address at the end of the window (o2's vx-100). */
  readonly proxy_entry_mac: string | null;
}

export interface VipScenarioReport extends ScenarioReportHead<VipCaseResult> {
  /** Claims the agents dropped (reason -> count), from their `vip_claim_dropped` lines. */
  readonly dropped: Readonly<Record<string, number>>;
  /**
   * Claims the agents sent, by what they were checked against (`controller`, `file`,
   * `unverified`), from their `vip_claim` lines (docs/vip.md, "The agent's claim watcher").
   */
  readonly claim_basis: Readonly<Record<string, number>>;
  readonly split_brain?: SplitBrainReport;
  readonly error?: string;
}

export interface LoggedClaim {
  readonly host: string;
  readonly portId: string;
  readonly networkId: string;
  readonly ip: string;
  readonly mac: string;
  readonly kind: 'garp' | 'unsolicited_na';
  readonly at: number;
  readonly seq: number;
}

export interface SplitBrainReport {
  /** Every claim the agents sent for the plain IPv4 VIP, as logged. */
  readonly claims: readonly LoggedClaim[];
  /** ms between the first claims of the two hosts. */
  readonly apart_ms: number | null;
  /** o2's neighbour entry for the VIP once the controller settled. */
  readonly proxy_entry_mac: string | null;
}

const now = () => performance.timeOrigin + performance.now();
const OBSERVER: Record<Client, string> = { c1: 'c1@o1 (learning)', c2: 'c2@o2 (arp proxy)' };
const WINDOW_MS: Record<VipFailure, number> = { graceful: 6000, 'vm-loss': 9000 };
const TARGETS = (['plain', 'vmac'] as const).flatMap((vip) =>
  [4, 6].map((family) => ({ vip, family: family as 4 | 6 })),
);
const ipOf = (vip: VipKind, family: 4 | 6) => (family === 4 ? VIPS[vip].ip4 : VIPS[vip].ip6);

interface Bed {
  readonly scenario: VipScenario;
  readonly record: RunRecord;
  readonly topology: VipTopology;
  readonly controller: DataplaneController;
  readonly fleet: AgentFleet;
  readonly keepalived: Map<KeepalivedVm, VmKeepalived>;
  readonly monitors: ReadonlyMap<KeepalivedVm, AddressMonitor>;
  readonly deadline: number;
}

interface Probe {
  readonly client: Client;
  readonly vip: VipKind;
  readonly family: 4 | 6;
  readonly ping: PingProbe;
}

function expectationOf(scenario: VipScenario, client: Client, vip: VipKind, family: 4 | 6): VipExpectation {
  return scenario.expectFor?.(client, vip, family) ?? scenario.expect[client];
}

/** The observer's agent: the host whose agent serves each client. */
const OBSERVER_HOST: Record<Client, string> = { c1: 'o1', c2: 'o2' };

/** The first command `host`'s agent applied after `t`: when it was received and when applied. */
function firstApply(bed: Bed, host: string, t: number) {
  const line = bed.fleet.logs.find((l) => l.host === host && l.message === 'applied' && l.t > t);
  return line ? { received: line.t - Number(line.ms ?? 0), applied: line.t } : null;
}

/** The first `vip_claim` an agent logged for `ip` after `t`. */
function firstClaim(bed: Bed, host: string, ip: string, t: number) {
  const line = bed.fleet.logs.find(
    (l) => l.host === host && l.message === 'vip_claim' && l.ip === ip && l.t > t,
  );
  return line ? { t: line.t, mac: String(line.mac) } : null;
}

async function startMaster(bed: Bed, vm: KeepalivedVm, master: boolean): Promise<void> {
  const startedAt = now();
  bed.keepalived.set(vm, startVmKeepalived(bed.record, bed.topology, vm, bed.scenario.splitBrain));
  const monitor = bed.monitors.get(vm) as AddressMonitor;
  if (master)
    await waitFor(`${vm} to hold every VIP`, 10_000, () =>
      TARGETS.every(({ vip, family }) => monitor.firstAddedAfter(ipOf(vip, family), startedAt - 50) !== null),
    );
  else await sleep(1500); // a BACKUP hears the master's advert within 1 s and stays BACKUP (nopreempt)
  await pinClientNeighbours(bed.topology, vm);
}

async function runCase(
  bed: Bed,
  round: number,
  failure: VipFailure,
  master: KeepalivedVm,
): Promise<VipCaseResult[]> {
  const standby: KeepalivedVm = master === 'va' ? 'vb' : 'va';
  const probes: Probe[] = CLIENTS.flatMap((client) =>
    TARGETS.map(({ vip, family }) => ({
      client,
      vip,
      family,
      ping: new PingProbe(
        bed.record,
        bed.topology.ns[client],
        `${client}->${vip}v${family}`,
        ipOf(vip, family),
      ),
    })),
  );
  const expectation = (p: Probe) => expectationOf(bed.scenario, p.client, p.vip, p.family);
  const working = probes.filter((p) => expectation(p) !== 'unanswered' && expectation(p) !== 'observe');
  const recovering = probes.filter((p) => expectation(p) === 'recover');
  try {
    await waitFor(`baseline pings of ${bed.scenario.id} round ${round}`, 15_000, () =>
      working.every((p) => p.ping.recentReplies(800) >= 30),
    ).catch((err: Error) => {
      const silent = working
        .filter((p) => p.ping.recentReplies(800) < 30)
        .map((p) => `${p.client}->${p.vip}v${p.family}`);
      throw new Error(`${err.message} (no steady replies: ${silent.join(', ')})`);
    });
    await sleep(300);
    let failedAt = now();
    const handle = bed.keepalived.get(master) as VmKeepalived;
    if (failure === 'graceful') void stopVmKeepalived(handle, 'SIGTERM');
    else {
      await setPort(bed.topology, master, false);
      failedAt = now();
      await stopVmKeepalived(handle, 'SIGKILL');
    }
    const windowEnd = failedAt + Math.min(WINDOW_MS[failure], bed.deadline - Date.now());
    const steady = () =>
      recovering.every(
        (p) =>
          (p.ping.lastReplyAt ?? 0) > failedAt + 100 &&
          measureOutage(p.ping.replies, failedAt, now()).recovered,
      );
    while (now() < windowEnd && !(recovering.length > 0 && steady())) await sleep(50);
    // A second look after recovery, so a late flap or a late wrong claim is still seen.
    await sleep(recovering.length > 0 ? 500 : 0);
    const observedUntil = now();
    await Promise.all(probes.map((p) => p.ping.stop()));
    const newHost = VIP_VMS[standby].host;
    const entries = new Map<string, string | null>();
    for (const { vip, family } of TARGETS)
      entries.set(ipOf(vip, family), await neighbourMac(bed.topology.ns.o2, ipOf(vip, family)));
    return probes.map((p): VipCaseResult => {
      const ip = ipOf(p.vip, p.family);
      const m = measureOutage(p.ping.replies, failedAt, observedUntil);
      const vipAt = bed.monitors.get(standby)?.firstAddedAfter(ip, failedAt) ?? null;
      const vrrpMs = vipAt === null ? null : vipAt - failedAt;
      const claim = firstClaim(bed, newHost, ip, failedAt);
      const resolved = p.ping.replies.length > 0;
      const handled = claim === null ? undefined : bed.controller.invocationAfter('agent-events', claim.t);
      const apply = claim === null ? null : firstApply(bed, OBSERVER_HOST[p.client], claim.t);
      const since = (t: number | undefined) => (t === undefined ? null : Math.round(t - failedAt));
      return {
        scenario: bed.scenario.id,
        strategy: bed.scenario.strategy,
        round,
        failure,
        vip: p.vip,
        family: p.family,
        observer: OBSERVER[p.client],
        expected: expectation(p),
        recovered: resolved && m.recovered,
        replies: p.ping.replies.length,
        replies_before: p.ping.replies.filter((r) => r.t <= failedAt).length,
        outage_ms: resolved ? m.outageMs : null,
        vrrp_ms: vrrpMs === null ? null : Math.round(vrrpMs),
        overhead_ms:
          resolved && m.outageMs !== null && vrrpMs !== null ? Math.round(m.outageMs - vrrpMs) : null,
        claim_ms: claim === null ? null : Math.round(claim.t - failedAt),
        claim_mac: claim?.mac ?? null,
        handled_ms: since(handled?.t),
        received_ms: since(apply?.received),
        applied_ms: since(apply?.applied),
        // keepalived puts a use_vmac instance's excluded (IPv6) address on the base interface, so
        // it announces that one at the VM's own MAC; only the IPv4 vmac VIP is at the virtual MAC.
        owner_mac: (p.family === 4 ? VIPS[p.vip].vmac : null) ?? VIP_VMS[standby].mac,
        gaps: m.gaps,
        interval_ms: Math.round(m.intervalMs * 10) / 10,
        proxy_entry_mac: entries.get(ip) ?? null,
      };
    });
  } finally {
    await Promise.all(probes.map((p) => p.ping.stop()));
  }
}

async function splitBrainReport(bed: Bed): Promise<SplitBrainReport> {
  const ip = VIPS.plain.ip4;
  const claims = bed.fleet.logs
    .filter((l) => l.message === 'vip_claim' && l.ip === ip)
    .map(
      (l): LoggedClaim => ({
        host: l.host,
        portId: String(l.portId),
        networkId: String(l.networkId),
        ip,
        mac: String(l.mac),
        kind: 'garp',
        at: Number(l.at),
        seq: Number(l.seq),
      }),
    );
  const first = (host: string) => claims.find((c) => c.host === host)?.at ?? null;
  const [a, b] = [first('h1'), first('h2')];
  return {
    claims,
    apart_ms: a === null || b === null ? null : Math.abs(a - b),
    proxy_entry_mac: await neighbourMac(bed.topology.ns.o2, ip),
  };
}

/** Brings the failed VM back as BACKUP: after a VM loss its port comes up clean, as a rebooted VM. */
async function restore(bed: Bed, vm: KeepalivedVm, failure: VipFailure): Promise<void> {
  await (bed.keepalived.get(vm) as VmKeepalived).exited;
  if (failure === 'vm-loss') {
    await clearVipLeftovers(bed.topology, vm);
    await setPort(bed.topology, vm, true);
  }
  await startMaster(bed, vm, false);
  await bed.controller.settled(VIP_HOST_IDS, 10_000);
}

/**
 * One VIP scenario: the bed, the real controller and one agent per host, the ports with their
 * pairs, keepalived in va (first, so it is master) and vb, then each failure of `failures` in
 * order against the current master, the failed VM brought back as BACKUP after each. Every
 * client pings all four VIP addresses at once during each failure.
 */
export async function runVipScenario(
  scenario: VipScenario,
  tmpRoot: string,
  options: { readonly deadline: number },
): Promise<VipScenarioReport> {
  const started = Date.now();
  const tag = randomBytes(2).toString('hex');
  const record = new RunRecord(path.join(tmpRoot, `vip-${scenario.id.replaceAll('/', '_')}-${tag}`));
  const results: VipCaseResult[] = [];
  const keepalived = new Map<KeepalivedVm, VmKeepalived>();
  const monitors = new Map<KeepalivedVm, AddressMonitor>();
  let controller: DataplaneController | undefined;
  let fleet: AgentFleet | undefined;
  let setupMs = 0;
  let error: string | undefined;
  let stage = 'topology';
  let topologyRef: VipTopology | undefined;
  let kernel: Record<string, string> | null = null;
  let splitBrain: SplitBrainReport | undefined;
  try {
    const topology = await createVipTopology(record, `l2vp${tag}`);
    topologyRef = topology;
    // A failover's four claims leave one host within milliseconds: SQS hands them out together
    // (fauxqs alone would not), and the agent-events function commits them as one.
    controller = await startDataplaneController(record, { build: false, fifoGroupBatches: true });
    const live = controller;
    const specs = vipAgentSpecs(record, scenario.claimHosts);
    fleet = new AgentFleet(record, topology, specs, {
      endpoint: live.endpoint,
      socketPath: live.socketPath,
      agentEventsUrl: live.queueUrl('agent'),
      agentQueueName: (host) => live.agentQueueName(host),
    });
    for (const vm of ['va', 'vb'] as const) monitors.set(vm, new AddressMonitor(record, topology.ns[vm], vm));
    const bed: Bed = {
      scenario,
      record,
      topology,
      controller,
      fleet,
      keepalived,
      monitors,
      deadline: options.deadline,
    };
    const events = vipEvents(scenario.strategy);
    stage = 'seed';
    await controller.send(events.slice(0, 1));
    await controller.settled([], 20_000);
    await controller.send(events.slice(1));
    const agents = fleet;
    await waitFor(
      'every agent to apply its first commands',
      30_000,
      () => agents.applied().size === VIP_HOST_IDS.length,
      50,
    );
    await controller.settled(VIP_HOST_IDS, 10_000);
    stage = 'keepalived';
    if (scenario.splitBrain) {
      await Promise.all([startMaster(bed, 'va', true), startMaster(bed, 'vb', true)]);
      await sleep(1000);
      await controller.settled(VIP_HOST_IDS, 10_000);
      setupMs = Date.now() - started;
      splitBrain = await splitBrainReport(bed);
    } else {
      await startMaster(bed, 'va', true);
      const masterAt = now();
      await startMaster(bed, 'vb', false);
      await controller.settled(VIP_HOST_IDS, 10_000);
      // Past va's second announcement burst (5 s after its transition), so a client whose own
      // requests go unanswered cannot pick the VIP up before the first failure.
      await sleep(Math.max(0, masterAt + 6000 - now()));
      setupMs = Date.now() - started;
    }
    let master: KeepalivedVm = 'va';
    for (const [i, failure] of (scenario.splitBrain ? [] : scenario.failures).entries()) {
      stage = `case ${i + 1} (${failure})`;
      results.push(...(await runCase(bed, Math.floor(i / 2) + 1, failure, master)));
      const failed: KeepalivedVm = master;
      master = failed === 'va' ? 'vb' : 'va';
      stage = `restore after case ${i + 1}`;
      if (i < scenario.failures.length - 1) await restore(bed, failed, failure);
    }
  } catch (err) {
    error = `${stage}: ${(err as Error).message}`;
    if (topologyRef) kernel = await kernelView(topologyRef);
  } finally {
    for (const m of monitors.values()) m.stop();
    await fleet?.stop();
    await Promise.all([...keepalived.values()].map((k) => stopVmKeepalived(k, 'SIGTERM')));
    await controller?.stop().catch(() => undefined);
  }
  const dropped: Record<string, number> = {};
  for (const l of fleet?.logs ?? [])
    if (l.message === 'vip_claim_dropped') dropped[String(l.reason)] = (dropped[String(l.reason)] ?? 0) + 1;
  const claimBasis: Record<string, number> = {};
  for (const l of fleet?.logs ?? [])
    if (l.message === 'vip_claim') claimBasis[String(l.basis)] = (claimBasis[String(l.basis)] ?? 0) + 1;
  // VIP_DEBUG=1 (or a failed scenario) keeps the agents' logs and the address changes beside the
  // run directories in test/e2e/results/tmp/, which teardown does not remove.
  if (process.env.VIP_DEBUG || error)
    writeFileSync(
      path.join(tmpRoot, `debug-vip-${scenario.id.replaceAll('/', '_')}.json`),
      JSON.stringify({
        error,
        logs: fleet?.logs,
        addresses: [...monitors].map(([vm, m]) => [vm, m.changes]),
        kernel,
      }),
    );
  return {
    ...(await closeScenario(record, scenario, setupMs, results)),
    dropped,
    claim_basis: claimBasis,
    ...(splitBrain ? { split_brain: splitBrain } : {}),
    ...(error ? { error } : {}),
  };
}

/** What the debug dump keeps of the kernel: the VMs' addresses, the proxy agent's and its client's neighbours. */
async function kernelView(t: VipTopology): Promise<Record<string, string>> {
  const read = (ns: string, ...args: string[]) => ipIn(ns, ...args).catch((e: Error) => e.message);
  return {
    va: await read(t.ns.va, '-br', 'addr'),
    vb: await read(t.ns.vb, '-br', 'addr'),
    o2: await read(t.ns.o2, 'neigh', 'show', 'dev', 'vx-100'),
    h1fdb: await runCommand(['bridge', '-n', t.ns.h1, 'fdb', 'show', 'dev', 'vx-100']).catch(
      (e: Error) => e.message,
    ),
    vaneigh: await read(t.ns.va, 'neigh'),
    vaaddr: await read(t.ns.va, 'addr'),
    o2fdb: await runCommand(['bridge', '-n', t.ns.o2, 'fdb', 'show', 'dev', 'vx-100']).catch(
      (e: Error) => e.message,
    ),
    c2: await read(t.ns.c2, 'neigh'),
    c1: await read(t.ns.c1, 'neigh'),
  };
}

/** Reads what a proxy agent programmed for an address: the MAC of its neighbour entry, or null. */
export async function neighbourMac(ns: string, ip: string): Promise<string | null> {
  const out = await ipIn(ns, 'neigh', 'show', 'to', ip, 'dev', 'vx-100').catch(() => '');
  return /lladdr (\S+)/.exec(out)?.[1] ?? null;
}
