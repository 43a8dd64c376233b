import type { Trace, TraceStep } from '../../tools/replay/trace.js';
import { NeutronSim, type PresenceKind, type SimPort, type TraceSnapshot } from './model.js';

/**
 * Steps the Neutron simulator through a whole trace and keeps what the deviation explainers and
 * the payload check need to look back at: ports, tunnel IPs and `plugged` lists before every step,
 * and host presence after it.
 */

/** Runs a whole trace through the simulator, with a snapshot after every step. */
export function simulateTrace(input: unknown): {
  trace: Trace;
  sim: NeutronSim;
  snapshots: TraceSnapshot[];
  history: SimHistory;
} {
  const { trace, sim } = NeutronSim.fromTrace(input);
  const snapshots: TraceSnapshot[] = [];
  const history = createHistory();
  for (const step of trace.steps) {
    history.before(sim, step);
    sim.apply(step);
    snapshots.push(sim.snapshot(step.op));
    history.after(sim);
  }
  return { trace, sim, snapshots, history };
}

export interface PortFacts {
  readonly status: SimPort['status'];
  readonly host: string;
  readonly mac: string;
  readonly ips: readonly string[];
  readonly network: string;
  /** The router name when the port is an HA router interface. */
  readonly haRouter: string | null;
}

/** Per-step facts the deviation explainers need: port state before each step, presence after it. */
export interface SimHistory {
  /** Port status, binding host, MAC and router of every live port just before step i. */
  readonly portsBefore: Map<string, PortFacts>[];
  /** Tunnel IP of every host just before step i. */
  readonly tunnelIpsBefore: Map<string, string>[];
  /** The oracle's `plugged` lists just before step i (what an `agent_restart` re-reports). */
  readonly pluggedBefore: Map<string, string[]>[];
  /** network -> host -> presence kind, after step i. */
  readonly presenceAfter: Map<string, Map<string, PresenceKind>>[];
  before(sim: NeutronSim, step: TraceStep): void;
  after(sim: NeutronSim): void;
}

function createHistory(): SimHistory {
  const portsBefore: SimHistory['portsBefore'] = [];
  const tunnelIpsBefore: SimHistory['tunnelIpsBefore'] = [];
  const pluggedBefore: SimHistory['pluggedBefore'] = [];
  const presenceAfter: SimHistory['presenceAfter'] = [];
  return {
    portsBefore,
    tunnelIpsBefore,
    pluggedBefore,
    presenceAfter,
    before(sim) {
      portsBefore.push(
        new Map(
          sim.livePorts().map((p) => [
            p.name,
            {
              status: p.status,
              host: p.host,
              mac: p.mac,
              ips: [...p.ips],
              network: p.network,
              haRouter: sim.isHaPort(p) ? p.router : null,
            },
          ]),
        ),
      );
      tunnelIpsBefore.push(new Map([...sim.agents.values()].map((a) => [a.host, a.tunnelIp])));
      pluggedBefore.push(new Map([...sim.plugged].map(([h, list]) => [h, [...list]])));
    },
    after(sim) {
      presenceAfter.push(new Map([...sim.networks.keys()].map((n) => [n, sim.presence(n)])));
    },
  };
}
