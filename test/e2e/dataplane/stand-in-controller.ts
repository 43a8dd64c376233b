import type { AgentEvent, HaStateEvent } from '../../../src/contracts/events.js';
import { toAgent } from '../../../src/contracts/parse.js';
import { type PlannedCommand, planCommands, planSnapshot } from '../../../src/core/commands.js';
import { computeDesiredNetwork, type DesiredNetwork } from '../../../src/core/desired.js';
import { compareOrder } from '../../../src/core/ha.js';
import { planFullRecompute } from '../../../src/core/plan.js';
import type { Agent, FlagSettings, HaRouter, Network, Port } from '../../../src/core/types.js';

/** Where commands for one agent go: the fleet's stdin pipes now, the agents' SQS queues later. */
export interface CommandSink {
  deliver(host: string, command: PlannedCommand): void;
}

/**
 * The seam between the data-plane harness and a controller. The harness feeds it what agents and
 * keepalived notify hooks say; the controller answers through a CommandSink. This in-process
 * stand-in runs the project's pure core; the local stack (DynamoDB Local + fauxqs + the bundled
 * handlers) will implement the same interface by sending the events to its queues.
 */
export interface ControlPlane {
  onAgentEvent(event: AgentEvent): Promise<void>;
  onHaEvent(event: HaStateEvent): Promise<void>;
  /** Negative control: events are queued, nothing is sent (the controller is down). */
  pause(): void;
  resume(): Promise<void>;
}

export interface ControllerTrace {
  /** Epoch ms when an HA event reached the controller, and when its commands were handed to the sink. */
  readonly ha: { host: string; state: string; receivedAt: number; deliveredAt: number; commands: number }[];
}

export interface StandInOptions {
  readonly networks: readonly Network[];
  readonly ports: readonly Port[];
  readonly routers: readonly HaRouter[];
  readonly flags: FlagSettings;
  readonly sink: CommandSink;
}

const EMPTY: DesiredNetwork = { index: { counts: {}, members: {} }, views: new Map(), splitBrain: [] };
const now = () => performance.timeOrigin + performance.now();

/**
 * A controller in one process: the facts in memory, the full recompute (`computeDesiredNetwork`)
 * and the same planner the Lambdas use (`planFullRecompute` + `planCommands`), so agents receive
 * real versioned deltas and snapshots. Events are handled one at a time, in arrival order.
 */
export function createStandInController(
  options: StandInOptions,
): ControlPlane & { readonly trace: ControllerTrace } {
  const agents = new Map<string, Agent>();
  const routers = new Map(options.routers.map((r) => [r.id, r]));
  const state = new Map(
    options.networks.map((n) => [
      n.id,
      { version: 0, desired: EMPTY, sent: {} as Readonly<Record<string, number>> },
    ]),
  );
  const trace: ControllerTrace = { ha: [] };
  let paused = false;
  const backlog: (() => Promise<void>)[] = [];
  let chain: Promise<void> = Promise.resolve();

  const reconcile = (restarted: ReadonlySet<string>): number => {
    let sent = 0;
    for (const network of options.networks) {
      const st = state.get(network.id);
      if (!st) continue;
      const ports = options.ports.filter((p) => p.networkId === network.id);
      const after = computeDesiredNetwork({ network, agents, ports, routers, flags: options.flags });
      const plan = planFullRecompute(st.desired, after, restarted);
      const version = st.version + 1;
      const out = planCommands(network, version, plan, st.sent, (host) => after.views.get(host) ?? {});
      if (out.commands.length === 0) {
        state.set(network.id, { ...st, desired: after });
        continue;
      }
      state.set(network.id, { version, desired: after, sent: out.sent });
      for (const c of out.commands) options.sink.deliver(c.host, c.command);
      sent += out.commands.length;
    }
    return sent;
  };

  const resync = (host: string, networkId: string | undefined): void => {
    for (const network of options.networks) {
      const st = state.get(network.id);
      const view = st?.desired.views.get(host);
      if (!st || !view || (networkId !== undefined && networkId !== network.id)) continue;
      for (const command of planSnapshot(network, st.version, view)) options.sink.deliver(host, command);
      state.set(network.id, { ...st, sent: { ...st.sent, [host]: st.version } });
    }
  };

  const handleAgent = async (event: AgentEvent): Promise<void> => {
    if (event.type === 'agent.resync') return resync(event.host, event.networkId);
    const previous = agents.get(event.host);
    if (previous && previous.revision >= event.revision) return;
    agents.set(event.host, toAgent(event));
    reconcile(previous?.bootId === event.bootId ? new Set() : new Set([event.host]));
  };

  const handleHa = async (event: HaStateEvent, receivedAt: number): Promise<void> => {
    const router = routers.get(event.routerId);
    if (!router) return;
    const order = { term: event.term, seq: event.seq };
    const old = router.states[event.host];
    if (old && compareOrder(order, old.order) <= 0) return;
    routers.set(router.id, {
      ...router,
      states: { ...router.states, [event.host]: { state: event.state, order } },
    });
    const commands = reconcile(new Set());
    trace.ha.push({ host: event.host, state: event.state, receivedAt, deliveredAt: now(), commands });
  };

  const submit = (work: () => Promise<void>): Promise<void> => {
    if (paused) {
      backlog.push(work);
      return Promise.resolve();
    }
    chain = chain.then(work, work);
    return chain;
  };

  return {
    trace,
    onAgentEvent: (event) => submit(() => handleAgent(event)),
    onHaEvent: (event) => {
      const receivedAt = now();
      return submit(() => handleHa(event, receivedAt));
    },
    pause() {
      paused = true;
    },
    async resume() {
      paused = false;
      for (const work of backlog.splice(0)) await submit(work);
    },
  };
}
