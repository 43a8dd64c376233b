import type { TraceStep } from '../../tools/replay/trace.js';
import type { TraceBuilder } from './trace-builder.js';

/** VM-side events of the generator: Nova and the operator acting on VM ports. */

export function createVm(b: TraceBuilder): void {
  const network = b.rng.pick([...b.sim.networks.keys()]);
  const hosts = b.computes.filter((h) => b.sim.canBind(h, network));
  const ips = b.freeIps(network, b.rng.chance(0.15) ? 2 : 1, null);
  if (hosts.length === 0 || !ips) return;
  const port = b.nextPortName();
  const unbound = b.rng.chance(0.08);
  const host = b.rng.pick(hosts);
  b.emit({ op: 'create_port', port, network, ...(unbound ? {} : { host }), mac: b.nextMac('00'), ips });
  // Nova plugs the VIF and the agent reports it; now and then the VM never boots
  if (!unbound && b.rng.chance(0.92)) b.queue({ kind: 'vif-up', port, host });
}

export function stopVm(b: TraceBuilder): void {
  const ps = b.vmPorts((p) => p.status === 'ACTIVE');
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  b.emit({ op: 'port_down', port: p.name, host: p.host });
}

export function startVm(b: TraceBuilder): void {
  const ps = b.vmPorts((p) => p.status === 'DOWN' && p.host !== '' && p.adminUp && !b.isPendingUp(p));
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  b.emit({ op: 'port_up', port: p.name, host: p.host });
}

/** A migration (or the first binding of an unbound port); the agents' reports follow from `emit`. */
export function migrateVm(b: TraceBuilder): void {
  const ps = b.vmPorts();
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  const hosts = b.computes.filter((h) => h !== p.host && b.sim.canBind(h, p.network));
  if (hosts.length === 0) return;
  b.emit({ op: 'migrate_port', port: p.name, host: b.rng.pick(hosts) });
}

/** Replaces, adds or drops fixed IPs, on ports in any state (DOWN ones reach deviation (b)). */
export function changeIps(b: TraceBuilder): void {
  const ps = b.vmPorts();
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  const mode = b.rng.weighted([
    ['replace', 5],
    ['add', 2],
    ['drop', 1],
  ] as const);
  let ips: string[] | null;
  if (mode === 'drop' && p.ips.length > 1) ips = p.ips.slice(1);
  else if (mode === 'add' && p.ips.length < 3) ips = [...p.ips, ...(b.freeIps(p.network, 1, p) ?? [])];
  else ips = b.freeIps(p.network, p.ips.length > 1 ? 2 : 1, p);
  if (!ips || ips.length === 0 || ips.join() === p.ips.join()) return;
  b.emit({ op: 'update_ips', port: p.name, ips });
}

export function toggleAdmin(b: TraceBuilder): void {
  const ps = b.vmPorts((p) => p.host !== '');
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  const up = !p.adminUp;
  const plugged = b.sim.plugged.get(p.host)?.includes(p.name) ?? false;
  b.emit({ op: 'update_port', port: p.name, body: { admin_state_up: up } });
  // the agent sees port_update: an admin-down port is made dead and reported down, and back up
  if (!up && plugged) b.queue({ kind: 'vif-down', port: p.name, host: p.host });
  if (up) b.queue({ kind: 'vif-up', port: p.name, host: p.host });
}

export function deleteVm(b: TraceBuilder): void {
  const ps = b.vmPorts();
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  // Nova unplugs the VIF before it deletes the port, most of the time
  if (p.host !== '' && b.sim.plugged.get(p.host)?.includes(p.name) && b.rng.chance(0.5)) {
    b.emit({ op: 'port_down', port: p.name, host: p.host });
  }
  b.emit({ op: 'delete_port', port: p.name });
}

/** An OVS agent restart (any host), sometimes with a new tunnel IP. */
export function restartAgent(b: TraceBuilder): void {
  const host = b.rng.pick(b.agents.map((a) => a.host));
  if (b.rng.chance(0.25)) b.emit({ op: 'agent_restart', host, tunnel_ip: b.nextTunnelIp() });
  else b.emit({ op: 'agent_restart', host });
}

/** The VIP of a network: outside the generator's fixed IPs (.10-.250), as a keepalived VIP is. */
const vipOf = (b: TraceBuilder, network: string): string =>
  `${(b.sim.networks.get(network)?.cidr ?? '10.0.0.0/24').split('.').slice(0, 3).join('.')}.251`;

/** The allowed-address pairs the trace last gave a port (none: []). */
function pairsOf(b: TraceBuilder, port: string): { ip_address: string; mac_address?: string }[] {
  for (let i = b.steps.length - 1; i >= 0; i--) {
    const s = b.steps[i] as TraceStep;
    if (s.op === 'update_port' && s.port === port && Array.isArray(s.body.allowed_address_pairs))
      return s.body.allowed_address_pairs as { ip_address: string; mac_address?: string }[];
  }
  return [];
}

/**
 * The operator gives a VM port the network's VIP as an allowed-address pair (plain, with a
 * VRRP virtual MAC, or as a prefix), or takes it away (docs/vip.md). Neutron's l2pop sends nothing
 * for pairs; neither does the controller under `tunnel`.
 */
export function setAllowedAddressPairs(b: TraceBuilder): void {
  const ps = b.vmPorts();
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  const vip = vipOf(b, p.network);
  const pairs = b.rng.weighted<{ ip_address: string; mac_address?: string }[]>([
    [[{ ip_address: vip }], 2],
    [[{ ip_address: vip, mac_address: '00:00:5e:00:01:0a' }], 2],
    [[{ ip_address: `${vip.slice(0, vip.lastIndexOf('.'))}.248/29` }], 1],
    [[], 1],
  ]);
  b.emit({ op: 'update_port', port: p.name, body: { allowed_address_pairs: pairs } });
}

/** A bound port holding the VIP announces it (keepalived's GARP), with its pair's MAC or its own. */
export function claimVip(b: TraceBuilder): void {
  const ps = b.vmPorts((p) => p.host !== '' && pairsOf(b, p.name).length > 0);
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  const pair = b.rng.pick(pairsOf(b, p.name));
  b.emit({
    op: 'vip_claim',
    port: p.name,
    ip: vipOf(b, p.network),
    ...(pair.mac_address ? { mac: pair.mac_address } : {}),
  });
}
