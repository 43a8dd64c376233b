import type { TraceStep } from '../../tools/replay/trace.js';
import type { NeutronSim, SimPort } from './model.js';

/**
 * Which steps the oracle runs, and runs deterministically, given the simulator's state: the
 * generator and the shrinker write only such steps, so every trace they make runs in the oracle.
 */

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

/** True when `ip` is a host address of `cidr` (not the network or broadcast address). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base ?? '');
  const n = Number(bits);
  if (a === null || b === null || !Number.isInteger(n)) return false;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  const host = (a & ~mask) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0 && host !== 0 && host !== ~mask >>> 0;
}

function ipsFree(
  sim: NeutronSim,
  network: string,
  ips: readonly string[],
  except: string | null,
): string | null {
  const n = sim.networks.get(network);
  if (!n) return `unknown network ${network}`;
  const taken = new Set(
    sim
      .livePorts()
      .filter((p) => p.network === network && p.name !== except)
      .flatMap((p) => p.ips),
  );
  for (const ip of ips) {
    if (!inSubnet(ip, n.cidr)) return `${ip} is outside ${n.cidr}`;
    if (taken.has(ip)) return `${ip} is in use in ${network}`;
  }
  return new Set(ips).size === ips.length ? null : 'duplicate ip';
}

function portRef(sim: NeutronSim, name: string): SimPort | string {
  return sim.livePort(name) ?? `unknown port ${name}`;
}

/**
 * Binding an unbound HA interface to "the first active host" is not deterministic in Neutron when
 * two hosts are active: the bindings come back in agent-id order, and agent ids are random
 * (uuid4). A trace must not depend on it.
 */
export function ambiguousBinding(sim: NeutronSim, router: string, extraUnbound: boolean): boolean {
  const r = sim.routers.get(router);
  if (!r || r.hosts.filter((h) => r.states.get(h) === 'active').length < 2) return false;
  return extraUnbound || sim.routerInterfaces(router).some((p) => p.host === '');
}

/** Why the oracle would fail on `step` now (or not give a deterministic answer), or null. */
export function checkStep(sim: NeutronSim, step: TraceStep): string | null {
  switch (step.op) {
    case 'create_port': {
      if (sim.ports.has(step.port)) return `port name ${step.port} already used`;
      if (!sim.networks.has(step.network)) return `unknown network ${step.network}`;
      if (step.host !== undefined && step.host !== '' && !sim.agents.has(step.host))
        return `unknown host ${step.host}`;
      const mac = step.mac;
      if (mac !== undefined && sim.livePorts().some((p) => p.network === step.network && p.mac === mac)) {
        return `mac ${mac} in use`;
      }
      return step.ips ? ipsFree(sim, step.network, step.ips, null) : null;
    }
    case 'port_up':
    case 'port_down': {
      const p = portRef(sim, step.port);
      if (typeof p === 'string') return p;
      const host = step.host ?? p.host;
      if (host === '') return `port ${p.name} is unbound: give "host"`;
      return sim.agents.has(host) ? null : `unknown host ${host}`;
    }
    case 'migrate_port': {
      const p = portRef(sim, step.port);
      if (typeof p === 'string') return p;
      return sim.agents.has(step.host) ? null : `unknown host ${step.host}`;
    }
    case 'update_ips': {
      const p = portRef(sim, step.port);
      if (typeof p === 'string') return p;
      return ipsFree(sim, p.network, step.ips, p.name);
    }
    case 'update_port':
    case 'delete_port': {
      const p = portRef(sim, step.port);
      return typeof p === 'string' ? p : null;
    }
    case 'agent_restart': {
      if (!sim.agents.has(step.host)) return `unknown host ${step.host}`;
      const ip = step.tunnel_ip;
      if (ip !== undefined && sim.usedTunnelIps.has(ip) && sim.agents.get(step.host)?.tunnelIp !== ip) {
        return `tunnel ip ${ip} was used before`;
      }
      const missing = (step.ports ?? []).find((n) => !sim.livePort(n));
      return missing ? `unknown port ${missing}` : null;
    }
    case 'ha_router_create': {
      if (sim.routers.has(step.router)) return `router ${step.router} exists`;
      const bad = step.hosts.find((h) => !sim.agents.get(h)?.l3);
      return bad ? `host ${bad} has no L3 agent` : null;
    }
    case 'router_interface_add': {
      if (!sim.routers.has(step.router)) return `unknown router ${step.router}`;
      if (step.port === undefined)
        return step.subnet && sim.networks.has(step.subnet.split(':')[0] ?? '') ? null : 'bad subnet';
      const p = portRef(sim, step.port);
      if (typeof p === 'string') return p;
      if (p.owner !== '' || p.host !== '') return `port ${p.name} is not a free unbound port`;
      const clash = sim.routerInterfaces(step.router).some((q) => q.network === p.network);
      if (clash) return `router ${step.router} already has an interface on ${p.network}`;
      return step.sync !== false && ambiguousBinding(sim, step.router, true)
        ? 'binding with two active hosts is random'
        : null;
    }
    case 'router_interface_remove': {
      const name = step.port ?? `${step.router}:${step.subnet ?? ''}`;
      const p = sim.livePort(name);
      return p && p.router === step.router ? null : `no interface ${name} on ${step.router}`;
    }
    case 'ha_state': {
      const r = sim.routers.get(step.router);
      if (!r) return `unknown router ${step.router}`;
      return r.hosts.includes(step.host) ? null : `router ${step.router} is not on ${step.host}`;
    }
    case 'l3_sync':
      if (!sim.agents.get(step.host)?.l3) return `host ${step.host} has no L3 agent`;
      if (step.router !== undefined && !sim.routers.has(step.router)) return `unknown router ${step.router}`;
      for (const r of sim.routers.values()) {
        const synced = (step.router === undefined || step.router === r.name) && r.hosts.includes(step.host);
        if (synced && ambiguousBinding(sim, r.name, false)) return 'binding with two active hosts is random';
      }
      return null;
    case 'vip_claim':
      return sim.ports.get(step.port) && !sim.ports.get(step.port)?.deleted
        ? null
        : `unknown port ${step.port}`;
  }
}
