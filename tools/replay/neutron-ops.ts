import { dispatchEvent } from '../../src/app/dispatch.js';
import type { Deps } from '../../src/app/reconcile.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { OWNER } from '../../src/core/owners.js';
import {
  activeHost,
  allocateIp,
  isHaPort,
  type ModelPort,
  type NeutronModel,
  portEvent,
} from './neutron-model.js';
import type { TableAgents } from './table-agents.js';
import type { TraceStep } from './trace.js';

/**
 * What Neutron's server does to a port for each trace op, turned into the controller's inbound
 * facts: binding and status changes as ML2 makes them, HA rebinding as the L3 plugin makes it.
 */

/** A step the trace marked `expect_error` did not fail, or a step failed unexpectedly. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

export interface ReplayContext {
  readonly deps: Deps;
  readonly model: NeutronModel;
  readonly agents: TableAgents;
  /** Sees every event the trace amounts to, after the use-cases accepted it (`l2pop ab TRACE`). */
  readonly onEvent?: ((event: InboundEvent) => void) | undefined;
}

/** Hands one event to the use-cases, then answers every gap an agent reported with a resync. */
export async function emit(ctx: ReplayContext, event: InboundEvent): Promise<void> {
  const parsed = parseInboundEvent(JSON.stringify(event));
  await dispatchEvent(ctx.deps, parsed);
  ctx.onEvent?.(parsed);
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

export function portOf(model: NeutronModel, name: string): ModelPort {
  const p = model.ports.get(name);
  if (!p || p.deleted) throw new ReplayError(`unknown port ${JSON.stringify(name)}`);
  return p;
}

export async function save(ctx: ReplayContext, p: ModelPort): Promise<void> {
  p.revision++;
  await emit(ctx, portEvent(ctx.model, p));
}

/**
 * `update_device_up`: only the bound host's report makes a port ACTIVE (an HA backup's changes
 * nothing). A DVR interface has no binding host here: its distributed bindings are `dvrHosts`.
 */
export async function portUp(ctx: ReplayContext, p: ModelPort, host: string): Promise<void> {
  const plugged = ctx.model.plugged.get(host) ?? [];
  if (!plugged.includes(p.name)) ctx.model.plugged.set(host, [...plugged, p.name]);
  if (p.host !== '' && p.host === host && p.status !== 'ACTIVE') {
    p.status = 'ACTIVE';
    await save(ctx, p);
  }
}

export function unplug(model: NeutronModel, name: string, host?: string): void {
  for (const [h, list] of model.plugged)
    if (host === undefined || h === host)
      model.plugged.set(
        h,
        list.filter((n) => n !== name),
      );
}

/**
 * Neutron binds the router's HA, gateway and SNAT ports to the reporter of `active` (docs/neutron-l2pop.md §3.1).
 * ML2 forces a rebound port DOWN; an HA interface keeps its status (docs/deviations.md, D5).
 */
export async function rebindRouterPorts(
  ctx: ReplayContext,
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

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export async function createPort(
  ctx: ReplayContext,
  step: Extract<TraceStep, { op: 'create_port' }>,
): Promise<void> {
  const { model } = ctx;
  const net = model.networks.get(step.network);
  if (!net) throw new ReplayError(`unknown network ${step.network}`);
  model.macCounter++;
  const dvrHosts = [...(step.dvr_hosts ?? [])];
  const p: ModelPort = {
    name: step.port,
    id: step.id ?? step.port,
    network: step.network,
    mac: step.mac ?? `fa:16:3e:00:${hex(Math.floor(model.macCounter / 256))}:${hex(model.macCounter % 256)}`,
    ips: step.ips ?? [allocateIp(model, net)],
    owner: step.device_owner ?? 'compute:nova',
    deviceId: step.device_id ?? `dev-${step.port}`,
    host: step.host ?? '',
    // ML2 keeps a DVR interface ACTIVE while one of its distributed bindings is
    status: dvrHosts.length > 0 ? 'ACTIVE' : 'DOWN',
    dvrHosts,
    revision: 0,
    deleted: false,
  };
  model.ports.set(p.name, p);
  await save(ctx, p);
}

export async function interfaceAdd(
  ctx: ReplayContext,
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
      mac: `fa:16:3e:ff:${hex(model.macCounter >> 8)}:${hex(model.macCounter & 255)}`,
      ips: [net.gateways[Math.max(k, 0)] ?? allocateIp(model, net)],
      owner: OWNER.haInterface,
      deviceId: r.id,
      host: '',
      status: 'DOWN',
      dvrHosts: [],
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

async function applyBody(ctx: ReplayContext, p: ModelPort, body: Record<string, unknown>): Promise<void> {
  if (typeof body.mac_address === 'string') p.mac = body.mac_address;
  if (Array.isArray(body.fixed_ips))
    p.ips = body.fixed_ips.map((f) => String((f as { ip_address?: unknown }).ip_address));
  if (typeof body.device_owner === 'string') p.owner = body.device_owner;
  if (typeof body.device_id === 'string') p.deviceId = body.device_id;
  if (Array.isArray(body.allowed_address_pairs))
    p.allowedAddressPairs = body.allowed_address_pairs.map((a) => {
      const { ip_address, mac_address } = a as { ip_address?: unknown; mac_address?: unknown };
      return {
        ipAddress: String(ip_address),
        ...(typeof mac_address === 'string' ? { macAddress: mac_address } : {}),
      };
    });
  const host = body['binding:host_id'];
  if (typeof host === 'string' && host !== p.host) {
    unplug(ctx.model, p.name, p.host);
    p.host = host;
    // ML2 forces DOWN on a binding change; an HA port keeps its state (docs/deviations.md, D5).
    if (!isHaPort(ctx.model, p)) p.status = 'DOWN';
  }
  await save(ctx, p);
}

/** `update_port` with an API body; keys without l2pop meaning (name, admin_state_up) are ignored. */
export async function updateBody(
  ctx: ReplayContext,
  p: ModelPort,
  body: Record<string, unknown>,
): Promise<void> {
  const saved = { ...p, ips: [...p.ips], dvrHosts: [...p.dvrHosts] };
  try {
    await applyBody(ctx, p, body);
  } catch (err) {
    Object.assign(p, saved);
    throw err;
  }
}
