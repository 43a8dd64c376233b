import { NeutronSim, type SimPort } from './model.js';

/** Every op of the oracle's trace format (docs/trace-format.md). */
export const ORACLE_OPS = [
  'create_port',
  'port_up',
  'port_down',
  'migrate_port',
  'update_ips',
  'update_port',
  'delete_port',
  'agent_restart',
  'ha_router_create',
  'router_interface_add',
  'router_interface_remove',
  'ha_state',
  'l3_sync',
  'vip_claim',
] as const;

/** The HA situations the issue asks about, first; then finer ones. */
export const HA_SITUATIONS = [
  'failover',
  'fail-back',
  'backup-reports-before-master',
  'interface-removal',
  'split-brain',
  'split-brain-at-end',
  'report-while-unbound',
  'interface-added-without-master',
  'master-lost',
  'interface-removed-while-down',
  'ha-port-down-report',
  'network-node-restart',
  'network-node-tunnel-ip-change',
  'vm-joins-during-failover',
] as const;

export const PORT_SITUATIONS = [
  'third-port-on-host',
  'last-port-down',
  'migration-of-active-port',
  'migration-of-down-port',
  'old-host-reports-down',
  'chg-ip-active-port',
  'chg-ip-down-port',
  'chg-ip-unbound-port',
  'multi-ip-port',
  'delete-active-port',
  'delete-down-port',
  'admin-state-down',
  'agent-restart',
  'tunnel-ip-change',
  'vlan-network',
  'present-host-without-l2pop',
  'allowed-address-pairs',
  'vip-claim-virtual-mac',
] as const;

export interface Coverage {
  readonly ops: Record<string, number>;
  readonly situations: Record<string, number>;
}

function count(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}

function activeCount(sim: NeutronSim, host: string, network: string): number {
  return sim
    .livePorts()
    .filter((p) => !sim.isHaPort(p) && p.host === host && p.network === network && p.status === 'ACTIVE')
    .length;
}

/** Which ops and which situations one trace reaches, by stepping the Neutron simulator through it. */
export function computeCoverage(input: unknown): Coverage {
  const { trace, sim } = NeutronSim.fromTrace(input);
  const ops: Record<string, number> = {};
  const situations: Record<string, number> = {};
  const bindingHistory = new Map<string, string[]>();
  const mark = (s: string) => count(situations, s);
  for (const step of trace.steps) {
    count(ops, step.op);
    const before = new Map(sim.livePorts().map((p) => [p.name, { ...p }]));
    const port = 'port' in step && step.port !== undefined ? before.get(step.port) : undefined;
    const haBusy = sim.livePorts().some((p) => sim.isHaPort(p) && p.status === 'DOWN' && p.host !== '');
    const ha = (p: SimPort | undefined) =>
      p !== undefined && p.owner === 'network:ha_router_replicated_interface' && p.router !== null;
    switch (step.op) {
      case 'port_up':
        if (ha(port) && port && port.host !== (step.host ?? port.host) && port.status === 'DOWN') {
          mark(port.host === '' ? 'report-while-unbound' : 'backup-reports-before-master');
        }
        if (!ha(port) && port && haBusy) mark('vm-joins-during-failover');
        break;
      case 'port_down':
        if (ha(port)) mark('ha-port-down-report');
        else if (port && port.status === 'ACTIVE' && activeCount(sim, port.host, port.network) === 1)
          mark('last-port-down');
        if (!ha(port) && port && step.host !== undefined && step.host !== port.host)
          mark('old-host-reports-down');
        break;
      case 'migrate_port':
        if (port) mark(port.status === 'ACTIVE' ? 'migration-of-active-port' : 'migration-of-down-port');
        break;
      case 'update_ips':
        if (port)
          mark(
            port.host === ''
              ? 'chg-ip-unbound-port'
              : port.status === 'ACTIVE'
                ? 'chg-ip-active-port'
                : 'chg-ip-down-port',
          );
        if (step.ips.length > 1) mark('multi-ip-port');
        break;
      case 'update_port':
        if (step.body.admin_state_up === false) mark('admin-state-down');
        if (Array.isArray(step.body.allowed_address_pairs) && step.body.allowed_address_pairs.length > 0)
          mark('allowed-address-pairs');
        break;
      case 'vip_claim':
        if (port && step.mac !== undefined && step.mac !== port.mac) mark('vip-claim-virtual-mac');
        break;
      case 'delete_port':
        if (port) mark(port.status === 'ACTIVE' ? 'delete-active-port' : 'delete-down-port');
        break;
      case 'agent_restart': {
        mark('agent-restart');
        const onRouter = [...sim.routers.values()].some(
          (r) => r.hosts.includes(step.host) && sim.routerInterfaces(r.name).length > 0,
        );
        const newIp = step.tunnel_ip !== undefined && step.tunnel_ip !== sim.agents.get(step.host)?.tunnelIp;
        if (newIp) mark('tunnel-ip-change');
        if (onRouter) mark(newIp ? 'network-node-tunnel-ip-change' : 'network-node-restart');
        break;
      }
      case 'router_interface_remove': {
        mark('interface-removal');
        const p = before.get(step.port ?? `${step.router}:${step.subnet ?? ''}`);
        if (p && p.status === 'DOWN') mark('interface-removed-while-down');
        break;
      }
      default:
        break;
    }
    sim.apply(step);
    for (const p of sim.livePorts()) {
      const old = before.get(p.name);
      if (!sim.isHaPort(p) || p.host === '') continue;
      const seen = bindingHistory.get(p.name) ?? [];
      if (old && old.host !== '' && old.host !== p.host)
        mark(seen.includes(p.host) ? 'fail-back' : 'failover');
      if (seen.at(-1) !== p.host) bindingHistory.set(p.name, [...seen, p.host]);
    }
    if (
      step.op === 'router_interface_add' &&
      step.port !== undefined &&
      sim.livePort(step.port)?.host === ''
    ) {
      mark('interface-added-without-master');
    }
    if (step.op === 'ha_state') {
      const r = sim.routers.get(step.router);
      const actives = r ? r.hosts.filter((h) => r.states.get(h) === 'active').length : 0;
      if (actives > 1) mark('split-brain');
      if (step.state === 'standby' && actives === 0) mark('master-lost');
    }
    if (step.op === 'port_up' && port && !ha(port)) {
      const p = sim.livePort(port.name);
      if (p && p.status === 'ACTIVE' && port.status !== 'ACTIVE' && activeCount(sim, p.host, p.network) >= 3)
        mark('third-port-on-host');
    }
  }
  for (const r of sim.routers.values())
    if (r.hosts.filter((h) => r.states.get(h) === 'active').length > 1) mark('split-brain-at-end');
  for (const n of sim.networks.values()) {
    if (n.type === 'vlan') mark('vlan-network');
    for (const h of sim.presence(n.name).keys())
      if (!sim.l2pops(h, n.name)) mark('present-host-without-l2pop');
  }
  return { ops, situations };
}

/** Sums coverage over many traces: counts, and how many traces reached each item. */
export function mergeCoverage(all: readonly Coverage[]): {
  ops: Record<string, [number, number]>;
  situations: Record<string, [number, number]>;
} {
  const ops: Record<string, [number, number]> = {};
  const situations: Record<string, [number, number]> = {};
  for (const k of ORACLE_OPS) ops[k] = [0, 0];
  for (const k of [...HA_SITUATIONS, ...PORT_SITUATIONS]) situations[k] = [0, 0];
  for (const c of all) {
    for (const [k, n] of Object.entries(c.ops)) ops[k] = [(ops[k]?.[0] ?? 0) + n, (ops[k]?.[1] ?? 0) + 1];
    for (const [k, n] of Object.entries(c.situations))
      situations[k] = [(situations[k]?.[0] ?? 0) + n, (situations[k]?.[1] ?? 0) + 1];
  }
  return { ops, situations };
}
