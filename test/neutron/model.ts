import { type Trace, type TraceStep, traceSchema } from '../../tools/replay/trace.js';
import { checkStep } from './model-checks.js';

/**
 * A small simulator of what Neutron 21 does to port bindings, port status and HA states for each
 * oracle op. It is the test's own reading of Neutron, independent of `src/`:
 * - the generator asks it which steps are valid next;
 * - the comparison takes host presence from it;
 * - every oracle run checks it against the oracle's `--trace` output, step by step, so a wrong
 *   reading shows up as a model mismatch instead of a wrong verdict.
 */

export const HA_OWNER = 'network:ha_router_replicated_interface';
const TUNNEL_TYPES = new Set(['vxlan', 'gre', 'geneve']);

export interface SimAgent {
  readonly host: string;
  tunnelIp: string;
  readonly tunnelTypes: readonly string[];
  /** `l2pop_network_types` when given, else `tunnel_types` (Neutron `_validate_segment`). */
  readonly l2popTypes: readonly string[];
  readonly l3: boolean;
  /** Explicit bridge mappings, or null: the oracle then maps every physnet the trace uses. */
  readonly physnets: readonly string[] | null;
}

export interface SimNetwork {
  readonly name: string;
  readonly type: string;
  readonly physnet: string | null;
  readonly cidr: string;
  readonly gateway: string;
}

export interface SimPort {
  readonly name: string;
  readonly network: string;
  mac: string;
  ips: string[];
  /** `binding:host_id`, '' when unbound. */
  host: string;
  status: 'ACTIVE' | 'DOWN';
  owner: string;
  /** The router name once the port is an HA router interface. */
  router: string | null;
  adminUp: boolean;
  deleted: boolean;
}

export interface SimRouter {
  readonly name: string;
  /** Scheduling order; Neutron's "first active binding" follows it. */
  readonly hosts: readonly string[];
  readonly states: Map<string, 'active' | 'standby'>;
}

/** How a host is present in a network: through an ordinary ACTIVE port, an HA router, or both. */
export type PresenceKind = 'ordinary' | 'ha' | 'both';

/** One line of the oracle's `--trace` output, in the form the simulator predicts it. */
export interface TraceSnapshot {
  readonly step: number;
  readonly op: string;
  readonly ports: Record<string, string>;
  readonly ha?: Record<string, string[]>;
}

export class InvalidStepError extends Error {
  override readonly name = 'InvalidStepError';
}

export class NeutronSim {
  readonly agents = new Map<string, SimAgent>();
  readonly networks = new Map<string, SimNetwork>();
  readonly ports = new Map<string, SimPort>();
  readonly routers = new Map<string, SimRouter>();
  /** Ports each host's agent reported up and not down since: the oracle's `plugged`. */
  readonly plugged = new Map<string, string[]>();
  /** Every tunnel IP an agent ever had. */
  readonly usedTunnelIps = new Set<string>();
  /** Tunnel IPs given up by an agent restart with a new `tunnel_ip`, with the step of the change. */
  readonly retiredTunnelIps = new Map<string, { host: string; step: number }>();
  /** Index of the step applied last; -1 before the first. */
  step = -1;

  constructor(trace: Trace) {
    for (const a of trace.agents) {
      this.agents.set(a.host, {
        host: a.host,
        tunnelIp: a.tunnel_ip,
        tunnelTypes: a.tunnel_types,
        l2popTypes: a.l2pop_network_types ?? a.tunnel_types,
        l3: a.l3_agent,
        physnets: a.bridge_mappings ? Object.keys(a.bridge_mappings) : null,
      });
      this.usedTunnelIps.add(a.tunnel_ip);
    }
    trace.networks.forEach((n, k) => {
      const subnet = n.subnets?.[0];
      const cidr = subnet?.cidr ?? `10.${k + 1}.0.0/24`;
      const gateway = subnet?.gateway_ip ?? `${cidr.split('.').slice(0, 3).join('.')}.1`;
      this.networks.set(n.name, {
        name: n.name,
        type: n.network_type,
        physnet: n.physical_network ?? null,
        cidr,
        gateway,
      });
    });
  }

  static fromTrace(input: unknown): { trace: Trace; sim: NeutronSim } {
    const trace = traceSchema.parse(input);
    return { trace, sim: new NeutronSim(trace) };
  }

  // -- queries ------------------------------------------------------------------------------

  livePort(name: string): SimPort | undefined {
    const p = this.ports.get(name);
    return p && !p.deleted ? p : undefined;
  }

  /** A live port the step's check has already vouched for. */
  private port(name: string): SimPort {
    const p = this.livePort(name);
    if (!p) throw new InvalidStepError(`unknown port ${name}`);
    return p;
  }

  livePorts(): SimPort[] {
    return [...this.ports.values()].filter((p) => !p.deleted);
  }

  /** Whether the OVS mechanism driver can bind a port of `network` on `host`. */
  canBind(host: string, network: string): boolean {
    const a = this.agents.get(host);
    const n = this.networks.get(network);
    if (!a || !n) return false;
    if (TUNNEL_TYPES.has(n.type)) return a.tunnelTypes.includes(n.type);
    if (n.type === 'vlan' || n.type === 'flat')
      return n.physnet !== null && (a.physnets === null || a.physnets.includes(n.physnet));
    return n.type === 'local';
  }

  /** A port's l2pop role: an HA router interface or an ordinary port. */
  isHaPort(p: SimPort): boolean {
    return p.owner === HA_OWNER && p.router !== null && this.routers.has(p.router);
  }

  /** The first scheduled host whose state is active (`get_active_host_for_ha_router`). */
  activeHost(router: string): string | null {
    const r = this.routers.get(router);
    return r?.hosts.find((h) => r.states.get(h) === 'active') ?? null;
  }

  routerInterfaces(router: string): SimPort[] {
    return this.livePorts().filter((p) => p.router === router && this.isHaPort(p));
  }

  /**
   * Hosts present in a network now (Neutron `l2pop/db.py` `get_agent_network_active_port_count` > 0): an
   * ACTIVE ordinary port bound to the host, or an HA router scheduled on the host with an ACTIVE
   * interface in the network.
   */
  presence(network: string): Map<string, PresenceKind> {
    const out = new Map<string, PresenceKind>();
    const mark = (host: string, kind: 'ordinary' | 'ha') => {
      const prev = out.get(host);
      out.set(host, prev === undefined || prev === kind ? kind : 'both');
    };
    for (const p of this.livePorts()) {
      if (p.network !== network || p.status !== 'ACTIVE') continue;
      if (this.isHaPort(p)) {
        for (const h of this.routers.get(p.router ?? '')?.hosts ?? []) mark(h, 'ha');
      } else if (p.host !== '') {
        mark(p.host, 'ordinary');
      }
    }
    return out;
  }

  /** Whether a host takes part in l2pop for a network's type (tunnel IP plus `_validate_segment`). */
  l2pops(host: string, network: string): boolean {
    const a = this.agents.get(host);
    const n = this.networks.get(network);
    return !!a && !!n && a.tunnelIp !== '' && a.l2popTypes.includes(n.type);
  }

  /** Present hosts that l2pop the network's type: the (host, network) pairs to compare. */
  members(network: string): string[] {
    return [...this.presence(network).keys()].filter((h) => this.l2pops(h, network)).sort();
  }

  hostOfTunnelIp(ip: string): string | undefined {
    for (const a of this.agents.values()) if (a.tunnelIp === ip) return a.host;
    return this.retiredTunnelIps.get(ip)?.host;
  }

  snapshot(op: string): TraceSnapshot {
    const ports: Record<string, string> = {};
    for (const p of [...this.livePorts()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      let line = `${p.host || '-'}/${p.status}/${p.owner || '-'}`;
      if (p.host !== '' && !this.canBind(p.host, p.network)) line += '/binding_failed';
      ports[p.name] = line;
    }
    if (this.routers.size === 0) return { step: this.step, op, ports };
    const ha: Record<string, string[]> = {};
    for (const r of [...this.routers.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      ha[r.name] = r.hosts.map((h) => `${h}=${r.states.get(h) ?? 'standby'}`).sort();
    }
    return { step: this.step, op, ports, ha };
  }

  /** Why the oracle would fail on `step` now (or not answer deterministically), or null. */
  check(step: TraceStep): string | null {
    return checkStep(this, step);
  }

  // -- transitions --------------------------------------------------------------------------

  private plug(host: string, name: string): void {
    const list = this.plugged.get(host) ?? [];
    if (!list.includes(name)) this.plugged.set(host, [...list, name]);
  }

  private unplug(name: string, host?: string): void {
    for (const [h, list] of this.plugged)
      if (host === undefined || h === host)
        this.plugged.set(
          h,
          list.filter((n) => n !== name),
        );
  }

  /** `update_device_up`: only a report from the bound host provisions the port (Neutron `ml2/rpc.py` `update_device_up`). */
  private deviceUp(p: SimPort, host: string): void {
    if (p.host === host && p.adminUp && this.canBind(host, p.network)) p.status = 'ACTIVE';
    this.plug(host, p.name);
  }

  /** A `binding:host_id` change: ML2 rebinds and forces the port DOWN (docs/neutron-l2pop.md §2, item 5). */
  private rebind(p: SimPort, host: string): void {
    if (p.host === host) return;
    p.host = host;
    p.status = 'DOWN';
  }

  private bindUnboundToActive(router: string): void {
    const active = this.activeHost(router);
    if (!active) return;
    for (const p of this.routerInterfaces(router)) if (p.host === '') this.rebind(p, active);
  }

  private updateBody(p: SimPort, body: Record<string, unknown>): void {
    if (typeof body.admin_state_up === 'boolean') p.adminUp = body.admin_state_up;
    if (Array.isArray(body.fixed_ips)) {
      p.ips = body.fixed_ips.map((f) => String((f as { ip_address?: unknown }).ip_address));
    }
    if (typeof body.mac_address === 'string') {
      if (p.status === 'ACTIVE' && p.mac !== body.mac_address)
        throw new InvalidStepError('mac change on an ACTIVE port');
      p.mac = body.mac_address;
    }
    const host = body['binding:host_id'];
    if (typeof host === 'string') {
      const old = p.host;
      this.rebind(p, host);
      if (old !== '' && old !== host) this.unplug(p.name, old);
    }
  }

  /** Applies one step; throws InvalidStepError when the oracle would fail on it. */
  apply(step: TraceStep): void {
    const reason = this.check(step);
    this.step++;
    if (reason !== null) {
      if (step.expect_error) return;
      throw new InvalidStepError(`step ${this.step} (${step.op}): ${reason}`);
    }
    try {
      this.transition(step);
    } catch (err) {
      if (!(err instanceof InvalidStepError) || !step.expect_error) throw err;
    }
  }

  private transition(step: TraceStep): void {
    switch (step.op) {
      case 'create_port':
        this.ports.set(step.port, {
          name: step.port,
          network: step.network,
          mac: step.mac ?? '',
          ips: step.ips ? [...step.ips] : [],
          host: step.host ?? '',
          status: 'DOWN',
          owner: step.device_owner ?? 'compute:nova',
          router: null,
          adminUp: step.admin_state_up ?? true,
          deleted: false,
        });
        return;
      case 'port_up': {
        const p = this.port(step.port);
        this.deviceUp(p, step.host ?? p.host);
        return;
      }
      case 'port_down': {
        const p = this.port(step.port);
        const host = step.host ?? p.host;
        if (p.host === host) p.status = 'DOWN';
        this.unplug(p.name, host);
        return;
      }
      case 'migrate_port':
        this.updateBody(this.port(step.port), { 'binding:host_id': step.host });
        return;
      case 'update_ips':
        this.port(step.port).ips = [...step.ips];
        return;
      case 'update_port':
        this.updateBody(this.port(step.port), step.body);
        return;
      case 'delete_port':
      case 'router_interface_remove': {
        const name =
          step.op === 'delete_port' ? step.port : (step.port ?? `${step.router}:${step.subnet ?? ''}`);
        this.port(name).deleted = true;
        this.unplug(name);
        return;
      }
      case 'agent_restart': {
        const a = this.agents.get(step.host);
        if (!a) throw new InvalidStepError(`unknown host ${step.host}`);
        if (step.tunnel_ip !== undefined && step.tunnel_ip !== a.tunnelIp) {
          this.retiredTunnelIps.set(a.tunnelIp, { host: a.host, step: this.step });
          a.tunnelIp = step.tunnel_ip;
          this.usedTunnelIps.add(step.tunnel_ip);
        }
        const names = step.ports ?? [...(this.plugged.get(step.host) ?? [])];
        for (const name of names) this.deviceUp(this.port(name), step.host);
        return;
      }
      case 'ha_router_create': {
        const states = new Map<string, 'active' | 'standby'>(step.hosts.map((h) => [h, 'standby']));
        this.routers.set(step.router, { name: step.router, hosts: [...step.hosts], states });
        return;
      }
      case 'router_interface_add': {
        let p: SimPort;
        if (step.port !== undefined) {
          p = this.port(step.port);
        } else {
          const net = step.subnet?.split(':')[0] ?? '';
          p = {
            name: `${step.router}:${step.subnet ?? ''}`,
            network: net,
            mac: '',
            ips: [this.networks.get(net)?.gateway ?? ''],
            host: '',
            status: 'DOWN',
            owner: '',
            router: null,
            adminUp: true,
            deleted: false,
          };
          this.ports.set(p.name, p);
        }
        p.owner = HA_OWNER;
        p.router = step.router;
        if (step.sync !== false) this.bindUnboundToActive(step.router);
        return;
      }
      case 'ha_state': {
        const r = this.routers.get(step.router);
        if (!r) throw new InvalidStepError(`unknown router ${step.router}`);
        r.states.set(step.host, step.state);
        if (step.state === 'active') for (const p of this.routerInterfaces(r.name)) this.rebind(p, step.host);
        return;
      }
      case 'l3_sync':
        for (const r of this.routers.values()) {
          if ((step.router === undefined || step.router === r.name) && r.hosts.includes(step.host))
            this.bindUnboundToActive(r.name);
        }
        return;
      case 'vip_claim':
        // a VM's announcement: Neutron's state does not move
        return;
    }
  }
}
