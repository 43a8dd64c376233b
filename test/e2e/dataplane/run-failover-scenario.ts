import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AgentFleet } from './agent-fleet.js';
import { agentSpecs, type FailoverScenario } from './failover-scenarios.js';
import { type KeepalivedHandle, startKeepalived, stopKeepalived } from './keepalived.js';
import { type DataplaneController, startDataplaneController } from './local-controller.js';
import { type NotifyMode, writeNotifyHooks } from './notify-hooks.js';
import { NotifyLog } from './notify-log.js';
import { sleep, waitFor } from './run-command.js';
import { type CaseContext, type CaseResult, runFailureCase } from './run-failure-case.js';
import { closeScenario, RunRecord, type ScenarioReportHead } from './run-record.js';
import { flagEvents, ROUTER_ID, topologyEvents } from './scenario-events.js';
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

export interface ScenarioReport extends ScenarioReportHead<CaseResult> {
  readonly error?: string;
}

export interface ScenarioOptions {
  /** The bundled notify sender keepalived's hooks run (bundle-notify.ts). */
  readonly senderBundle: string;
  readonly notifyMode: NotifyMode;
  /** Epoch ms after which the whole run must be over. */
  readonly deadline: number;
}

async function startRouter(ctx: CaseContext, rtr: RouterName, state: 'MASTER' | 'BACKUP', timeoutMs: number) {
  const startedAt = Date.now();
  ctx.keepalived.set(rtr, startKeepalived(ctx.record, ctx.topology, rtr, ctx.hooks));
  await waitFor(`${rtr} to become ${state}`, Math.min(timeoutMs, ctx.deadline - Date.now()), () =>
    ctx.notify.find((l) => l.router === rtr && l.state === state && l.t >= startedAt - 50),
  );
}

/** Flags first (a router takes the flag in force when it joins a network), then the topology. */
async function seed(controller: DataplaneController, scenario: FailoverScenario): Promise<void> {
  await controller.send(flagEvents(scenario.strategy));
  await controller.settled([], 20_000);
  await controller.send(topologyEvents(scenario.dhcpOnNetworkNodes ?? false));
}

/**
 * One scenario end to end: topology, the local controller, one agent per host namespace on its
 * own queue, the facts as inbound events, keepalived on both routers (rtr1 first, so it wins the
 * election) with hooks that report to the HA queue, then the failures in order: graceful stop of
 * rtr1 (rtr2 takes over), rtr1 restarted as BACKUP, then node loss of the new master's host.
 * Everything is torn down by recorded PIDs and namespace names, also on failure.
 */
export async function runFailoverScenario(
  scenario: FailoverScenario,
  tmpRoot: string,
  options: ScenarioOptions,
): Promise<ScenarioReport> {
  const started = Date.now();
  const { deadline } = options;
  const tag = randomBytes(2).toString('hex');
  const record = new RunRecord(path.join(tmpRoot, `${scenario.id.replaceAll('/', '_')}-${tag}`));
  const results: CaseResult[] = [];
  let setupMs = 0;
  let error: string | undefined;
  let notify: NotifyLog | undefined;
  let fleet: AgentFleet | undefined;
  let controller: DataplaneController | undefined;
  const keepalived = new Map<RouterName, KeepalivedHandle>();
  const vips = new Map<RouterName, VipMonitor>();
  try {
    const topology: Topology = await createTopology(record, `l2fo${tag}`);
    if (scenario.pinGatewayArp)
      await Promise.all([pinGatewayArp(topology, 'vm1'), pinGatewayArp(topology, 'vm2')]);
    controller = await startDataplaneController(record, { build: false });
    const hooks = writeNotifyHooks(
      record.dir,
      {
        node: process.execPath,
        bundle: options.senderBundle,
        routerId: ROUTER_ID,
        queueUrl: controller.queueUrl('ha'),
        endpoint: controller.endpoint,
        socketPath: controller.socketPath,
      },
      options.notifyMode,
    );
    notify = new NotifyLog(hooks.log);
    const live = controller;
    fleet = new AgentFleet(record, topology, agentSpecs(scenario), {
      endpoint: live.endpoint,
      socketPath: live.socketPath,
      agentEventsUrl: live.queueUrl('agent'),
      agentQueueName: (host) => live.agentQueueName(host),
    });
    for (const rtr of ['rtr1', 'rtr2'] as const)
      vips.set(rtr, new VipMonitor(record, topology.ns[rtr], rtr, ROUTER_VIP));
    const ctx: CaseContext = {
      scenario,
      record,
      topology,
      notify,
      hooks,
      controller,
      fleet,
      keepalived,
      vips,
      deadline,
    };
    await seed(controller, scenario);
    const agents = fleet;
    await waitFor(
      'every agent to apply its first commands',
      Math.min(30_000, deadline - Date.now()),
      () => agents.applied().size === HOST_NAMES.length,
      50,
    );
    await controller.settled(HOST_NAMES, 10_000);
    await startRouter(ctx, 'rtr1', 'MASTER', 10_000);
    await startRouter(ctx, 'rtr2', 'BACKUP', 5000);
    await controller.settled(HOST_NAMES, 10_000);
    setupMs = Date.now() - started;

    let master: RouterName = 'rtr1';
    for (const [i, failure] of scenario.failures.entries()) {
      results.push(...(await runFailureCase(ctx, failure, master)));
      const failed: RouterName = master;
      master = failed === 'rtr1' ? 'rtr2' : 'rtr1';
      if (i === scenario.failures.length - 1) break;
      if (failure !== 'graceful') throw new Error('only a graceful failure can be followed by another case');
      await (keepalived.get(failed) as KeepalivedHandle).exited;
      await startRouter(ctx, failed, 'BACKUP', 5000);
      await controller.settled(HOST_NAMES, 10_000);
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
    await controller?.stop().catch(() => undefined);
  }
  return { ...(await closeScenario(record, scenario, setupMs, results)), ...(error ? { error } : {}) };
}
