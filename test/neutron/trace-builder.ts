import type { TraceStep } from '../../tools/replay/trace.js';
import { NeutronSim, type SimPort } from './model.js';
import type { Rng } from './rng.js';
import type { GeneratedAgent, GeneratedNetwork } from './topology.js';

/** Something an agent will do later because of an event: report a device, or report an HA state. */
export type Reaction =
  | { readonly kind: 'vif-up'; readonly port: string; readonly host: string }
  | { readonly kind: 'vif-down'; readonly port: string; readonly host: string }
  | {
      readonly kind: 'ha-report';
      readonly router: string;
      readonly host: string;
      readonly state: 'active' | 'standby';
    };

/**
 * Writes a trace step by step against the Neutron simulator: a step is written only if the
 * simulator accepts it, and every binding change queues the reports the agents make in reply.
 */
export class TraceBuilder {
  readonly steps: TraceStep[] = [];
  readonly sim: NeutronSim;
  private readonly pending: Reaction[] = [];
  private portCounter = 0;
  private macCounter = 0;
  private tunnelCounter = 100;
  routersMade = 0;

  constructor(
    readonly rng: Rng,
    readonly agents: readonly GeneratedAgent[],
    networks: readonly GeneratedNetwork[],
  ) {
    this.sim = NeutronSim.fromTrace({ agents, networks, steps: [] }).sim;
  }

  get computes(): string[] {
    return this.agents.filter((a) => !a.l3_agent).map((a) => a.host);
  }

  /** Writes a step if the simulator accepts it, and queues the agent reactions it causes. */
  emit(step: TraceStep): boolean {
    if (this.sim.check(step) !== null) return false;
    const bindings = new Map(this.sim.livePorts().map((p) => [p.name, p.host]));
    this.sim.apply(step);
    this.steps.push(step);
    for (const p of this.sim.livePorts()) {
      const old = bindings.get(p.name);
      if (old === undefined || old === p.host || p.host === '') continue;
      if (this.sim.isHaPort(p)) {
        // port_update reaches every hosting node; each OVS agent re-reports its qr- device
        for (const h of this.sim.routers.get(p.router ?? '')?.hosts ?? [])
          this.queue({ kind: 'vif-up', port: p.name, host: h });
      } else if (step.op !== 'create_port') {
        if (p.adminUp) this.queue({ kind: 'vif-up', port: p.name, host: p.host });
        if (old !== '' && this.rng.chance(0.5)) this.queue({ kind: 'vif-down', port: p.name, host: old });
      }
    }
    return true;
  }

  queue(r: Reaction): void {
    this.pending.push(r);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  isPendingUp(p: SimPort): boolean {
    return this.pending.some((r) => r.kind === 'vif-up' && r.port === p.name);
  }

  /** Emits one queued reaction, picked at random; drops it if the system moved on. */
  react(): void {
    const i = this.rng.int(0, this.pending.length - 1);
    const [r] = this.pending.splice(i, 1);
    if (!r) return;
    if (r.kind === 'ha-report') {
      if (this.sim.routers.has(r.router))
        this.emit({ op: 'ha_state', router: r.router, host: r.host, state: r.state });
      return;
    }
    const p = this.sim.livePort(r.port);
    if (!p) return;
    if (r.kind === 'vif-down') {
      this.emit({ op: 'port_down', port: p.name, host: r.host });
      return;
    }
    const hosting =
      this.sim.isHaPort(p) && (this.sim.routers.get(p.router ?? '')?.hosts.includes(r.host) ?? false);
    if (hosting || (p.host === r.host && p.adminUp)) this.emit({ op: 'port_up', port: p.name, host: r.host });
  }

  /**
   * `count` unused addresses of the network, from .10 to .247: .1-.9 are for router interfaces,
   * .248-.255 for the VIP and its prefix pair (`setAllowedAddressPairs`), which no fixed IP falls
   * in: the controller would record that overlap but refuse the VIP's claims there
   * (`aap_overlaps_fixed_ip`, deviation D18), where Neutron has no claims.
   */
  freeIps(network: string, count: number, except: SimPort | null): string[] | null {
    const net = this.sim.networks.get(network);
    if (!net) return null;
    const prefix = net.cidr.split('.').slice(0, 3).join('.');
    const taken = new Set(
      this.sim
        .livePorts()
        .filter((p) => p.network === network && p !== except)
        .flatMap((p) => p.ips),
    );
    const out: string[] = [];
    for (let tries = 0; out.length < count && tries < 200; tries++) {
      const ip = `${prefix}.${this.rng.int(10, 247)}`;
      if (!taken.has(ip) && !out.includes(ip)) out.push(ip);
    }
    return out.length === count ? out : null;
  }

  nextMac(prefix: string): string {
    this.macCounter++;
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    return `fa:16:3e:${prefix}:${hex(this.macCounter >> 8)}:${hex(this.macCounter & 255)}`;
  }

  nextPortName(): string {
    return `vm${++this.portCounter}`;
  }

  nextTunnelIp(): string {
    return `192.0.2.${++this.tunnelCounter}`;
  }

  vmPorts(filter: (p: SimPort) => boolean = () => true): SimPort[] {
    return this.sim.livePorts().filter((p) => p.owner === 'compute:nova' && filter(p));
  }

  ifacePorts(): SimPort[] {
    return this.sim.livePorts().filter((p) => this.sim.isHaPort(p));
  }
}
