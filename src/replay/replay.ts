import { createMemoryStore, type MemoryStore } from '../adapters/memory/memory-store.js';
import { dispatchEvent } from '../app/dispatch.js';
import type { Deps } from '../app/reconcile.js';
import type { InboundEvent } from '../contracts/events.js';
import { parseInboundEvent } from '../contracts/parse.js';
import type { PlannedCommand } from '../core/commands.js';
import { isInvalidInputError } from '../core/errors.js';
import { DEFAULT_FLAGS } from '../core/flags.js';
import { OWNER } from '../core/owners.js';
import type { AgentTable, Strategy } from '../core/types.js';
import { createTableAgents, type TableAgents } from '../sim/table-agents.js';
import {
  activeHost,
  agentEvent,
  allocateIp,
  createModel,
  isHaPort,
  type ModelPort,
  type NeutronModel,
  portEvent,
} from './neutron-model.js';
import { type Trace, type TraceStep, traceSchema } from './trace.js';

export interface ReplayOptions {
  readonly strategy: Strategy;
}

export interface ReplayResult {
  /** host -> network name -> tunnel IP -> sorted entries; only (host, network) pairs present at the end. */
  readonly fdb: Record<string, Record<string, AgentTable>>;
  /** host -> every command it received, in order. */
  readonly messages: Record<string, PlannedCommand[]>;
  readonly store: MemoryStore;
  readonly agents: TableAgents;
}

/** A step the trace marked `expect_error` did not fail, or a step failed unexpectedly. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

interface Ctx {
  readonly deps: Deps;
  readonly model: NeutronModel;
  readonly agents: TableAgents;
}

async function emit(ctx: Ctx, event: InboundEvent): Promise<void> {
  await dispatchEvent(ctx.deps, parseInboundEvent(JSON.stringify(event)));
  for (let g = ctx.agents.takeGaps(); g.length > 0; g = ctx.agents.takeGaps()) {
    for (const gap of g)
      await dispatchEvent(ctx.deps, {
        type: 'agent.resync',
        v: 1,
        host: gap.host,
        networkId: gap.networkId,
        reason: 'gap',
      });
  }
}

function portOf(model: NeutronModel, name: string): ModelPort {
  const p = model.ports.get(name);
  if (!p || p.deleted) throw new ReplayError(`unknown port ${JSON.stringify(name)}`);
  return p;
}

async function save(ctx: Ctx, p: ModelPort): Promise<void> {
  p.revision++;
  await emit(ctx, portEvent(ctx.model, p));
}

/** `update_device_up`: only the bound host's report makes a port ACTIVE (an HA backup's changes nothing). */
async function portUp(ctx: Ctx, p: ModelPort, host: string): Promise<void> {
  const plugged = ctx.model.plugged.get(host) ?? [];
  if (!plugged.includes(p.name)) ctx.model.plugged.set(host, [...plugged, p.name]);
  if (p.host !== '' && p.host === host && p.status !== 'ACTIVE') {
    p.status = 'ACTIVE';
    await save(ctx, p);
  }
}

function unplug(model: NeutronModel, name: string, host?: string): void {
  for (const [h, list] of model.plugged)
    if (host === undefined || h === host)
      model.plugged.set(
        h,
        list.filter((n) => n !== name),
      );
}

/** Neutron binds the router's HA, gateway and SNAT ports to the reporter of `active` (spec §4.2). */
async function rebindRouterPorts(
  ctx: Ctx,
  routerId: string,
  host: string,
  onlyUnbound: boolean,
): Promise<void> {
  for (const p of ctx.model.ports.values()) {
    if (p.deleted || p.deviceId !== routerId || p.host === host) continue;
    if (!isHaPort(ctx.model, p) && p.owner !== OWNER.routerGateway) continue;
    if (onlyUnbound && p.host !== '') continue;
    p.host = host;
    if (!isHaPort(ctx.model, p)) p.status = 'DOWN';
    await save(ctx, p);
  }
}

async function runStep(ctx: Ctx, step: TraceStep): Promise<void> {
  const { model } = ctx;
  switch (step.op) {
    case 'create_port': {
      const net = model.networks.get(step.network);
      if (!net) throw new ReplayError(`unknown network ${step.network}`);
      model.macCounter++;
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      const p: ModelPort = {
        name: step.port,
        id: step.id ?? step.port,
        network: step.network,
        mac:
          step.mac ?? `fa:16:3e:00:${hex(Math.floor(model.macCounter / 256))}:${hex(model.macCounter % 256)}`,
        ips: step.ips ?? [allocateIp(model, net)],
        owner: step.device_owner ?? 'compute:nova',
        deviceId: step.device_id ?? `dev-${step.port}`,
        host: step.host ?? '',
        status: 'DOWN',
        revision: 0,
        deleted: false,
      };
      model.ports.set(p.name, p);
      return save(ctx, p);
    }
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
    case 'l3_sync':
      for (const r of model.routers.values()) {
        if ((step.router && r.id !== step.router) || !r.hosts.includes(step.host)) continue;
        const active = activeHost(r);
        if (active) await rebindRouterPorts(ctx, r.id, active, true);
      }
      return;
  }
}

async function interfaceAdd(
  ctx: Ctx,
  step: Extract<TraceStep, { op: 'router_interface_add' }>,
): Promise<void> {
  const { model } = ctx;
  const r = model.routers.get(step.router);
  if (!r) throw new ReplayError(`unknown router ${step.router}`);
  let p: ModelPort;
  if (step.port) {
    p = portOf(model, step.port);
  } else {
    const [netName, cidr] = (step.subnet ?? '').split(':');
    const net = model.networks.get(netName ?? '');
    if (!net) throw new ReplayError(`unknown subnet ${step.subnet}`);
    const k = cidr ? net.cidrs.indexOf(cidr) : 0;
    model.macCounter++;
    p = {
      name: `${step.router}:${step.subnet}`,
      id: `${step.router}.${netName}`,
      network: net.name,
      mac: `fa:16:3e:ff:${(model.macCounter >> 8).toString(16).padStart(2, '0')}:${(model.macCounter & 255).toString(16).padStart(2, '0')}`,
      ips: [net.gateways[Math.max(k, 0)] ?? allocateIp(model, net)],
      owner: OWNER.haInterface,
      deviceId: r.id,
      host: '',
      status: 'DOWN',
      revision: 0,
      deleted: false,
    };
    model.ports.set(p.name, p);
  }
  p.owner = OWNER.haInterface;
  p.deviceId = r.id;
  if (step.sync !== false && p.host === '') p.host = activeHost(r) ?? '';
  await save(ctx, p);
}

/** `update_port` with an API body; keys without l2pop meaning (name, admin_state_up) are ignored. */
async function updateBody(ctx: Ctx, p: ModelPort, body: Record<string, unknown>): Promise<void> {
  const saved = { ...p, ips: [...p.ips] };
  try {
    await applyBody(ctx, p, body);
  } catch (err) {
    Object.assign(p, saved);
    throw err;
  }
}

async function applyBody(ctx: Ctx, p: ModelPort, body: Record<string, unknown>): Promise<void> {
  if (typeof body.mac_address === 'string') p.mac = body.mac_address;
  if (Array.isArray(body.fixed_ips))
    p.ips = body.fixed_ips.map((f) => String((f as { ip_address?: unknown }).ip_address));
  if (typeof body.device_owner === 'string') p.owner = body.device_owner;
  if (typeof body.device_id === 'string') p.deviceId = body.device_id;
  const host = body['binding:host_id'];
  if (typeof host === 'string' && host !== p.host) {
    unplug(ctx.model, p.name, p.host);
    p.host = host;
    // ML2 forces DOWN on a binding change; an HA port keeps its state (docs/deviations.md, D5).
    if (!isHaPort(ctx.model, p)) p.status = 'DOWN';
  }
  await save(ctx, p);
}

/**
 * Runs an oracle trace through the controller's own use-cases, with the in-memory store and
 * simulated agents that apply every command they receive. `fdb` is what the agents hold.
 */
export async function replayTrace(input: unknown, options: ReplayOptions): Promise<ReplayResult> {
  const trace: Trace = traceSchema.parse(input);
  const store = createMemoryStore();
  const agents = createTableAgents();
  const ctx: Ctx = { deps: { store, publisher: agents.publisher }, model: createModel(trace), agents };
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
      throw new ReplayError(`step ${i} (${step.op}): ${(err as Error).message}`);
    }
    if (step.expect_error) throw new ReplayError(`step ${i} (${step.op}) was expected to fail but did not`);
  }
  return { fdb: await collectFdb(ctx), messages: collectMessages(agents), store, agents };
}

async function collectFdb(ctx: Ctx): Promise<ReplayResult['fdb']> {
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
