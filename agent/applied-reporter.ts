import { type AgentAppliedEvent, agentAppliedV1 } from '../src/contracts/events.js';
import { LIMITS } from '../src/contracts/primitives.js';

/** What an agent holds, for its `agent.applied` report. */
export interface HeldVersions {
  readonly host: string;
  readonly bootId: string;
  /** Network id -> the version the agent last applied (networks it has left are not held). */
  readonly networks: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** When it applied the last of them (ms since the epoch, the agent's clock). */
  readonly at: number;
  readonly latencies?: AgentAppliedEvent['latencies'];
}

/**
 * The `agent.applied` event for `held`, validated by the contract. An agent holding more networks
 * than one report may carry reports the highest versions first (the most recently changed ones).
 */
export function appliedEvent(held: HeldVersions): AgentAppliedEvent {
  const entries = held.networks instanceof Map ? [...held.networks] : Object.entries(held.networks);
  const kept =
    entries.length <= LIMITS.maxAppliedNetworks
      ? entries
      : [...entries].sort((a, b) => b[1] - a[1]).slice(0, LIMITS.maxAppliedNetworks);
  return agentAppliedV1.parse({
    type: 'agent.applied',
    v: 1,
    host: held.host,
    bootId: held.bootId,
    networks: Object.fromEntries(kept),
    at: Math.floor(held.at),
    latencies: held.latencies ?? [],
  });
}

export interface AppliedReporter {
  /** Something was applied: a report goes out `intervalMs` from the first such call since the last one. */
  noteApplied(): void;
  /** Sends the pending report now, if any (on stop). */
  flush(): Promise<void>;
  /** Drops the pending report, if any (the node is lost). */
  cancel(): void;
}

/**
 * Coalesces an agent's `agent.applied` reports: at most one per `intervalMs`, carrying what it
 * holds when it is sent. Shared by the reference agent and the simulated fleet (one protocol).
 * A failed send is passed to `onError` and not retried: the next apply reports again.
 */
export function createAppliedReporter(options: {
  readonly intervalMs: number;
  readonly build: () => AgentAppliedEvent;
  readonly send: (event: AgentAppliedEvent) => Promise<void>;
  readonly onError: (err: unknown) => void;
}): AppliedReporter {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sendNow = async () => {
    timer = undefined;
    try {
      await options.send(options.build());
    } catch (err) {
      options.onError(err);
    }
  };
  return {
    noteApplied() {
      if (timer !== undefined) return;
      timer = setTimeout(() => void sendNow(), options.intervalMs);
    },
    async flush() {
      if (timer === undefined) return;
      clearTimeout(timer);
      await sendNow();
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
