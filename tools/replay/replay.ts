import { createMemoryStore, type MemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import type { PlannedCommand } from '../../src/core/commands.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import type { AgentTable, Strategy } from '../../src/core/types.js';
import { activeHost, agentEvent, createModel } from './neutron-model.js';
import {
  createPort,
  emit,
  interfaceAdd,
  portOf,
  portUp,
  type ReplayContext,
  ReplayError,
  rebindRouterPorts,
  save,
  unplug,
  updateBody,
} from './neutron-ops.js';
import { createTableAgents, type TableAgents } from './table-agents.js';
import { type Trace, type TraceStep, traceSchema } from './trace.js';

export { ReplayError } from './neutron-ops.js';

export interface ReplayOptions {
  readonly strategy: Strategy;
  /** Called with each inbound event the trace amounts to, once the use-cases accepted it. */
  readonly onEvent?: (event: InboundEvent) => void;
}

export interface ReplayResult {
  /** host -> network name -> tunnel IP -> sorted entries; only (host, network) pairs present at the end. */
  readonly fdb: Record<string, Record<string, AgentTable>>;
  /** host -> every command it received, in order. */
  readonly messages: Record<string, PlannedCommand[]>;
  readonly store: MemoryStore;
  readonly agents: TableAgents;
}

/** The replay's claim times: a fixed past instant, so `claim_from_the_future` never applies. */
const CLAIM_EPOCH_MS = Date.UTC(2026, 0, 1);

async function runStep(ctx: ReplayContext, step: TraceStep): Promise<void> {
  const { model } = ctx;
  switch (step.op) {
    case 'create_port':
      return createPort(ctx, step);
    case 'port_up': {
      const p = portOf(model, step.port);
      const host = step.host ?? p.host;
      if (!host) throw new ReplayError(`port ${p.name} is unbound: give "host"`);
      await portUp(ctx, p, host);
      if (step.refresh_tunnels) await emit(ctx, { type: 'agent.resync', v: 1, host, reason: 'manual' });
      return;
    }
    case 'port_down': {
      const p = portOf(model, step.port);
      const host = step.host ?? p.host;
      unplug(model, p.name, host);
      if (p.host === host && p.status === 'ACTIVE') {
        p.status = 'DOWN';
        await save(ctx, p);
      }
      return;
    }
    case 'migrate_port':
      return updateBody(ctx, portOf(model, step.port), { 'binding:host_id': step.host });
    case 'update_ips':
      return updateBody(ctx, portOf(model, step.port), {
        fixed_ips: step.ips.map((ip) => ({ ip_address: ip })),
      });
    case 'update_port':
      return updateBody(ctx, portOf(model, step.port), step.body);
    case 'delete_port': {
      const p = portOf(model, step.port);
      p.deleted = true;
      unplug(model, p.name);
      return save(ctx, p);
    }
    case 'agent_restart': {
      const a = model.agents.get(step.host);
      if (!a) throw new ReplayError(`unknown agent ${step.host}`);
      if (step.tunnel_ip) a.tunnelIp = step.tunnel_ip;
      a.boot++;
      a.revision++;
      ctx.agents.reset(step.host);
      await emit(ctx, agentEvent(a));
      const names = step.ports ?? [...(model.plugged.get(step.host) ?? [])];
      for (const name of names) await portUp(ctx, portOf(model, name), step.host);
      return;
    }
    case 'ha_router_create':
      model.routers.set(step.router, { id: step.router, hosts: [...step.hosts], states: {} });
      return emit(ctx, { type: 'ha.schedule', v: 1, routerId: step.router, hosts: step.hosts, revision: 1 });
    case 'router_interface_add':
      return interfaceAdd(ctx, step);
    case 'router_interface_remove': {
      const name = step.port ?? `${step.router}:${step.subnet}`;
      const p = portOf(model, name);
      p.deleted = true;
      unplug(model, name);
      return save(ctx, p);
    }
    case 'ha_state': {
      const r = model.routers.get(step.router);
      if (!r) throw new ReplayError(`unknown router ${step.router}`);
      r.states[step.host] = step.state;
      model.haSeq++;
      await emit(ctx, {
        type: 'ha.state',
        v: 1,
        routerId: r.id,
        host: step.host,
        state: step.state,
        term: 0,
        seq: model.haSeq,
      });
      if (step.state === 'active') await rebindRouterPorts(ctx, r.id, step.host, false);
      return;
    }
    case 'vip_claim': {
      const p = portOf(model, step.port);
      model.claimSeq++;
      return emit(ctx, {
        type: 'vip.claim',
        v: 1,
        host: p.host,
        networkId: model.networks.get(p.network)?.id ?? p.network,
        portId: p.id,
        ip: step.ip,
        mac: step.mac ?? p.mac,
        kind: step.ip.includes(':') ? 'unsolicited_na' : 'garp',
        // claims are stamped in trace order, a second apart, before the replay's clock
        at: CLAIM_EPOCH_MS + model.claimSeq * 1000,
        seq: model.claimSeq,
      });
    }
    case 'l3_sync':
      for (const r of model.routers.values()) {
        if ((step.router && r.id !== step.router) || !r.hosts.includes(step.host)) continue;
        const active = activeHost(r);
        if (active) await rebindRouterPorts(ctx, r.id, active, true);
      }
      return;
  }
}

/**
 * Runs an oracle trace through the controller's own use-cases, with the in-memory store and
 * simulated agents that apply every command they receive. `fdb` is what the agents hold.
 */
export async function replayTrace(input: unknown, options: ReplayOptions): Promise<ReplayResult> {
  const trace: Trace = traceSchema.parse(input);
  const store = createMemoryStore();
  const agents = createTableAgents();
  const ctx: ReplayContext = {
    deps: { store, publisher: agents.publisher },
    model: createModel(trace),
    agents,
    onEvent: options.onEvent,
  };
  await dispatchEvent(ctx.deps, {
    type: 'flags.set',
    v: 1,
    flags: { ...DEFAULT_FLAGS, defaultStrategy: options.strategy },
    revision: 1,
  });
  for (const a of ctx.model.agents.values()) await emit(ctx, agentEvent(a));
  for (const [i, step] of trace.steps.entries()) {
    try {
      await runStep(ctx, step);
    } catch (err) {
      if (step.expect_error && (isInvalidInputError(err) || err instanceof ReplayError)) continue;
      throw new ReplayError(`step ${i} (${step.op}): ${(err as Error).message}`, { cause: err });
    }
    if (step.expect_error) throw new ReplayError(`step ${i} (${step.op}) was expected to fail but did not`);
  }
  return { fdb: await collectFdb(ctx), messages: collectMessages(agents), store, agents };
}

async function collectFdb(ctx: ReplayContext): Promise<ReplayResult['fdb']> {
  const fdb: Record<string, Record<string, AgentTable>> = {};
  for (const net of [...ctx.model.networks.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const state = await ctx.deps.store.getNetworkState(net.id);
    for (const host of Object.keys(state?.index.members ?? {})) {
      const table = ctx.agents.table(host, net.id);
      if (Object.keys(table).length === 0) continue;
      (fdb[host] ??= {})[net.name] = table;
    }
  }
  return Object.fromEntries(Object.entries(fdb).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function collectMessages(agents: TableAgents): Record<string, PlannedCommand[]> {
  const out: Record<string, PlannedCommand[]> = {};
  for (const r of agents.log) (out[r.host] ??= []).push(r.command);
  return out;
}
