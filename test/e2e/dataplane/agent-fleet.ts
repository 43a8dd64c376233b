import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentEvent } from '../../../src/contracts/events.js';
import { parseAgentEvent } from '../../../src/contracts/parse.js';
import type { PlannedCommand } from '../../../src/core/commands.js';
import { HARNESS_ENV, waitFor } from './run-command.js';
import type { RunRecord } from './run-record.js';
import type { CommandSink } from './stand-in-controller.js';
import { HOSTS, type HostName, type Topology } from './topology.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const AGENT_MAIN = 'agent/main.ts';
/** Log messages the agent writes once per handled command. */
const HANDLED = new Set(['applied', 'stale', 'gap', 'buffered', 'rejected', 'kernel_failed']);

export interface AgentSpec {
  readonly host: HostName;
  readonly learning: boolean;
  readonly arp: 'off' | 'proxy';
}

export interface AgentLogLine {
  readonly host: string;
  readonly t: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

interface Member {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  delivered: number;
  handled: number;
}

/**
 * One reference-agent process per host namespace (`ip netns exec <host> node --import tsx
 * agent/main.ts --transport stdio`): commands are written to its stdin, its events (`agent.report`,
 * `agent.resync`) come back on stdout and its JSON log lines on stderr.
 */
export class AgentFleet implements CommandSink {
  readonly logs: AgentLogLine[] = [];
  readonly #members = new Map<string, Member>();

  constructor(
    record: RunRecord,
    topology: Topology,
    specs: readonly AgentSpec[],
    onEvent: (event: AgentEvent) => void,
  ) {
    for (const spec of specs) {
      const args = [
        ...['netns', 'exec', topology.ns[spec.host], process.execPath, '--import', 'tsx', AGENT_MAIN],
        ...[
          '--host',
          spec.host,
          '--tunnel-ip',
          HOSTS[spec.host].underlayIp,
          '--learning',
          spec.learning ? 'on' : 'off',
        ],
        ...['--arp', spec.arp, '--bridge-prefix', 'br-', '--transport', 'stdio'],
      ];
      const child = spawn('ip', args, { cwd: REPO, env: HARNESS_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
      record.addProcess(child.pid, `agent ${spec.host}`, AGENT_MAIN);
      const member: Member = {
        child,
        exited: new Promise((r) => child.once('close', () => r())),
        delivered: 0,
        handled: 0,
      };
      this.#members.set(spec.host, member);
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        try {
          onEvent(parseAgentEvent(line));
        } catch (err) {
          this.logs.push({ host: spec.host, t: Date.now(), msg: 'bad_event', error: String(err), line });
        }
      });
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
        let parsed: AgentLogLine;
        try {
          parsed = { ...JSON.parse(line), host: spec.host };
        } catch {
          parsed = { host: spec.host, t: Date.now(), msg: 'stderr', line };
        }
        this.logs.push(parsed);
        if (HANDLED.has(parsed.msg)) member.handled++;
      });
    }
  }

  deliver(host: string, command: PlannedCommand): void {
    const member = this.#members.get(host);
    if (!member) return;
    member.delivered++;
    member.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Resolves once every agent has handled everything delivered to it. */
  async idle(timeoutMs: number): Promise<void> {
    await waitFor('agents to handle their commands', timeoutMs, () =>
      [...this.#members.values()].every((m) => m.handled >= m.delivered),
    );
  }

  /** Every agent reported and is still running. */
  get running(): boolean {
    return [...this.#members.values()].every((m) => m.child.exitCode === null);
  }

  /** Closing stdin stops an agent; SIGTERM follows if it lingers. */
  async stop(timeoutMs = 3000): Promise<void> {
    for (const m of this.#members.values()) m.child.stdin?.end();
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([Promise.all([...this.#members.values()].map((m) => m.exited)), timer]);
    for (const m of this.#members.values()) if (m.child.exitCode === null) m.child.kill('SIGTERM');
  }
}
