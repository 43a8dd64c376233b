import { ambiguousBinding } from './model-checks.js';
import { NETWORK_NODES } from './topology.js';
import type { TraceBuilder } from './trace-builder.js';

/** HA-router events of the generator: the operator, keepalived and the L3/OVS agents. */

export const MAX_ROUTERS = 2;

export function createRouter(b: TraceBuilder): void {
  if (b.routersMade >= MAX_ROUTERS) return;
  const router = `r${++b.routersMade}`;
  const hosts = b.rng.shuffle(NETWORK_NODES);
  b.emit({ op: 'ha_router_create', router, hosts });
  // keepalived elects a master; the backup's standby report may come first, or not at all
  b.queue({ kind: 'ha-report', router, host: b.rng.pick(hosts), state: 'active' });
}

/** Adds an interface through a pre-created unbound port (the gateway IP, or .3/.4 for a second router). */
export function addInterface(b: TraceBuilder): void {
  const options: [string, string][] = [];
  for (const r of b.sim.routers.keys()) {
    for (const n of b.sim.networks.keys()) {
      if (!b.sim.routerInterfaces(r).some((p) => p.network === n)) options.push([r, n]);
    }
  }
  if (options.length === 0) return;
  const [router, network] = b.rng.pick(options);
  const gateway = b.sim.networks.get(network)?.gateway ?? '';
  const taken = new Set(b.sim.livePorts().flatMap((p) => (p.network === network ? p.ips : [])));
  const ip = taken.has(gateway)
    ? `${gateway.split('.').slice(0, 3).join('.')}.${2 + Number(router.slice(1))}`
    : gateway;
  if (taken.has(ip)) return;
  const port = `${router}-if-${network}`;
  if (b.sim.ports.has(port) || ambiguousBinding(b.sim, router, true)) return;
  const mac = b.nextMac('aa');
  if (!b.emit({ op: 'create_port', port, network, device_owner: '', device_id: '', mac, ips: [ip] })) return;
  if (!b.emit({ op: 'router_interface_add', router, port })) return;
  // The L3 agents plug the qr- device on every hosting node and each OVS agent reports it up.
  // When the add bound the port to the master, emit() has queued those reports already.
  if (b.sim.livePort(port)?.host === '') {
    for (const h of b.sim.routers.get(router)?.hosts ?? []) b.queue({ kind: 'vif-up', port, host: h });
  }
}

export function removeInterface(b: TraceBuilder): void {
  const ps = b.ifacePorts();
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  b.emit({ op: 'router_interface_remove', router: p.router ?? '', port: p.name });
}

/** Failover (or fail-back) to a standby; until the old master reports standby it is split brain. */
export function failover(b: TraceBuilder): void {
  const routers = [...b.sim.routers.values()];
  if (routers.length === 0) return;
  const r = b.rng.pick(routers);
  const standbys = r.hosts.filter((h) => r.states.get(h) !== 'active');
  if (standbys.length === 0) return;
  const next = b.rng.pick(standbys);
  const old = r.hosts.filter((h) => r.states.get(h) === 'active');
  if (old.length > 0 && b.rng.chance(0.3)) {
    // the old master notices first and steps down
    for (const h of old) b.emit({ op: 'ha_state', router: r.name, host: h, state: 'standby' });
  } else {
    for (const h of old)
      if (b.rng.chance(0.75)) b.queue({ kind: 'ha-report', router: r.name, host: h, state: 'standby' });
  }
  b.emit({ op: 'ha_state', router: r.name, host: next, state: 'active' });
}

/** A master drops to backup; some host (maybe the same) becomes master later. */
export function masterLost(b: TraceBuilder): void {
  const routers = [...b.sim.routers.values()].filter((r) =>
    r.hosts.some((h) => r.states.get(h) === 'active'),
  );
  if (routers.length === 0) return;
  const r = b.rng.pick(routers);
  const master = b.rng.pick(r.hosts.filter((h) => r.states.get(h) === 'active'));
  b.emit({ op: 'ha_state', router: r.name, host: master, state: 'standby' });
  b.queue({ kind: 'ha-report', router: r.name, host: b.rng.pick(r.hosts), state: 'active' });
}

/** An OVS agent on a hosting node reports the qr- device down, then up again. */
export function flapInterface(b: TraceBuilder): void {
  const ps = b.ifacePorts();
  if (ps.length === 0) return;
  const p = b.rng.pick(ps);
  const host = b.rng.pick(b.sim.routers.get(p.router ?? '')?.hosts ?? []);
  b.emit({ op: 'port_down', port: p.name, host });
  b.queue({ kind: 'vif-up', port: p.name, host });
}

/** An L3 agent's periodic `sync_routers` (binds an unbound interface to the master, if there is one). */
export function l3Sync(b: TraceBuilder): void {
  const routers = [...b.sim.routers.keys()];
  const host = b.rng.pick([...NETWORK_NODES]);
  if (routers.length > 0 && b.rng.chance(0.6)) b.emit({ op: 'l3_sync', host, router: b.rng.pick(routers) });
  else b.emit({ op: 'l3_sync', host });
}
