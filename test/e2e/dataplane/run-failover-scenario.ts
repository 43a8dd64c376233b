import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AgentFleet } from './agent-fleet.js';
import { agentSpecs, type FailoverScenario, haEventOf, scenarioFacts } from './failover-scenarios.js';
import { type KeepalivedHandle, startKeepalived, stopKeepalived, writeNotifyHook } from './keepalived.js';
import { NotifyLog } from './notify-log.js';
import { sleep, waitFor } from './run-command.js';
import { type CaseContext, type CaseResult, runFailureCase } from './run-failure-case.js';
import { RunRecord } from './run-record.js';
import { createStandInController } from './stand-in-controller.js';
import {
  createTopology,
  flushLearnedRouterMac,
  HOST_NAMES,
  pinGatewayArp,
  ROUTER_VIP,
  type RouterName,
  type Topology,
} from './topology.js';
import { VipMonitor } from './vip-monitor.js';

export interface ScenarioReport {
  readonly id: string;
  readonly why: string;
  readonly setup_ms: number;
  readonly teardown_ms: number;
  readonly leftovers: readonly string[];
  readonly results: readonly CaseResult[];
  readonly error?: string;
}

async function startRouter(
  ctx: CaseContext,
  rtr: RouterName,
  script: string,
  state: 'MASTER' | 'BACKUP',
  timeoutMs: number,
) {
  const startedAt = Date.now();
  ctx.keepalived.set(rtr, startKeepalived(ctx.record, ctx.topology, rtr, script));
  await waitFor(`${rtr} to become ${state}`, Math.min(timeoutMs, ctx.deadline - Date.now()), () =>
    ctx.notify.find((l) => l.router === rtr && l.state === state && l.t >= startedAt - 50),
  );
}

/**
 * One scenario end to end: topology, one agent per host, the controller, keepalived on both
 * routers (rtr1 first, so it wins the election), then the failures in order: graceful stop of
 * rtr1 (rtr2 takes over), rtr1 restarted as BACKUP, then node loss of the new master's host.
 * Everything is torn down by recorded PIDs and namespace names, also on failure.
 */
export async function runFailoverScenario(
  scenario: FailoverScenario,
  tmpRoot: string,
  deadline: number,
): Promise<ScenarioReport> {
  const started = Date.now();
  const tag = randomBytes(2).toString('hex');
  const record = new RunRecord(path.join(tmpRoot, `${scenario.id.replaceAll('/', '_')}-${tag}`));
  const results: CaseResult[] = [];
  let setupMs = 0;
  let error: string | undefined;
  let notify: NotifyLog | undefined;
  let fleet: AgentFleet | undefined;
  const keepalived = new Map<RouterName, KeepalivedHandle>();
  const vips = new Map<RouterName, VipMonitor>();
  try {
    const topology: Topology = await createTopology(record, `l2fo${tag}`);
    if (scenario.pinGatewayArp)
      await Promise.all([pinGatewayArp(topology, 'vm1'), pinGatewayArp(topology, 'vm2')]);
    const hook = writeNotifyHook(record.dir);
    notify = new NotifyLog(hook.log);
    const sink = {
      deliver: (host: string, command: Parameters<AgentFleet['deliver']>[1]) => fleet?.deliver(host, command),
    };
    const controller = createStandInController({
      ...scenarioFacts(scenario.strategy, scenario.dhcpOnNetworkNodes),
      sink,
    });
    const reported = new Set<string>();
    fleet = new AgentFleet(record, topology, agentSpecs(scenario), (event) => {
      if (event.type === 'agent.report') reported.add(event.host);
      void controller.onAgentEvent(event);
    });
    notify.onLine((line) => void controller.onHaEvent(haEventOf(line)));
    for (const rtr of ['rtr1', 'rtr2'] as const)
      vips.set(rtr, new VipMonitor(record, topology.ns[rtr], rtr, ROUTER_VIP));
    const ctx: CaseContext = {
      scenario,
      record,
      topology,
      notify,
      controller,
      fleet,
      keepalived,
      vips,
      deadline,
    };
    const live = fleet;
    await waitFor(
      'every agent to report',
      Math.min(20_000, deadline - Date.now()),
      () => reported.size === HOST_NAMES.length,
    );
    await live.idle(10_000);
    await startRouter(ctx, 'rtr1', hook.script, 'MASTER', 10_000);
    await startRouter(ctx, 'rtr2', hook.script, 'BACKUP', 5000);
    await live.idle(5000);
    setupMs = Date.now() - started;

    let master: RouterName = 'rtr1';
    for (const [i, failure] of scenario.failures.entries()) {
      results.push(...(await runFailureCase(ctx, failure, master)));
      const failed: RouterName = master;
      master = failed === 'rtr1' ? 'rtr2' : 'rtr1';
      if (i === scenario.failures.length - 1) break;
      if (failure !== 'graceful') throw new Error('only a graceful failure can be followed by another case');
      await (keepalived.get(failed) as KeepalivedHandle).exited;
      await startRouter(ctx, failed, hook.script, 'BACKUP', 5000);
      await live.idle(5000);
      if (scenario.flushLearnedBetweenCases) await flushLearnedRouterMac(topology);
      await sleep(500);
    }
  } catch (err) {
    error = (err as Error).message;
  } finally {
    notify?.close();
    for (const v of vips.values()) v.stop();
    await fleet?.stop();
    await Promise.all([...keepalived.values()].map((k) => stopKeepalived(k)));
  }
  const teardown = await record.teardown();
  return {
    id: scenario.id,
    why: scenario.why,
    setup_ms: setupMs,
    teardown_ms: teardown.ms,
    leftovers: teardown.leftovers,
    results,
    ...(error ? { error } : {}),
  };
}
