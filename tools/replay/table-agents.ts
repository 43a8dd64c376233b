import type { OutboxRecord } from '../../src/app/ports.js';
import { type ApplyAction, applyAgentCommand, type HeldNetwork } from '../../src/core/agent-protocol.js';
import type { PlannedCommand } from '../../src/core/commands.js';
import type { LocalPort } from '../../src/core/local-ports.js';
import type { AgentTable } from '../../src/core/types.js';

export interface ReceivedCommand {
  readonly host: string;
  readonly command: PlannedCommand;
  readonly action: ApplyAction;
}

/**
 * Simulated agents that hold only their FDB tables and local ports: each applies its commands with the shared
 * protocol function and asks for a snapshot on a gap. Used by replay and the convergence checks.
 */
export function createTableAgents() {
  const held = new Map<string, Map<string, HeldNetwork>>();
  const log: ReceivedCommand[] = [];
  const gaps: { host: string; networkId: string }[] = [];

  function deliver(host: string, command: PlannedCommand): ApplyAction {
    let nets = held.get(host);
    if (!nets) {
      nets = new Map();
      held.set(host, nets);
    }
    const { state, action } = applyAgentCommand(nets.get(command.networkId), command);
    if (state) nets.set(command.networkId, state);
    else nets.delete(command.networkId);
    if (action === 'gap') gaps.push({ host, networkId: command.networkId });
    log.push({ host, command, action });
    return action;
  }

  return {
    log,
    deliver,
    /** A publisher that hands every command straight to its agent, in order. */
    publisher: {
      async publish(record: OutboxRecord) {
        for (const { host, command } of record.commands) deliver(host, command);
      },
    },
    /** Gap reports not yet turned into resync requests. */
    takeGaps() {
      return gaps.splice(0, gaps.length);
    },
    /** What a host holds for a network, tombstone of a `leave` included; undefined: never held. */
    state(host: string, networkId: string): HeldNetwork | undefined {
      return held.get(host)?.get(networkId);
    },
    /** A command for a held network was refused whole: only a snapshot applies until then. */
    markDirty(host: string, networkId: string): void {
      const h = held.get(host)?.get(networkId);
      if (h) held.get(host)?.set(networkId, { ...h, dirty: true });
    },
    /** Forgets everything a host held: what a restarted agent looks like. */
    reset(host: string) {
      held.delete(host);
    },
    table(host: string, networkId: string): AgentTable {
      return held.get(host)?.get(networkId)?.table ?? {};
    },
    /** The ports bound to `host` that its commands for the network listed, sorted by id. */
    localPorts(host: string, networkId: string): readonly LocalPort[] {
      return held.get(host)?.get(networkId)?.localPorts ?? [];
    },
    /** The version a host holds for a network (0: none). */
    version(host: string, networkId: string): number {
      return held.get(host)?.get(networkId)?.version ?? 0;
    },
    /** Networks a host holds something for, a `leave`'s tombstone included. */
    networks(host: string): string[] {
      return [...(held.get(host)?.keys() ?? [])].sort();
    },
    /** Networks a host holds and has not left: what it reports (`agent.applied`) and audits. */
    heldNetworks(host: string): string[] {
      return [...(held.get(host) ?? [])]
        .filter(([, h]) => !h.left)
        .map(([n]) => n)
        .sort();
    },
    hosts(): string[] {
      return [...held.keys()].sort();
    },
  };
}

export type TableAgents = ReturnType<typeof createTableAgents>;
