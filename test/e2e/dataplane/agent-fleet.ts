import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HARNESS_ENV } from './run-command.js';
import type { RunRecord } from './run-record.js';
import { HOSTS, type HostName, type Topology } from './topology.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const AGENT_MAIN = 'agent/main.ts';

export interface AgentSpec {
  readonly host: HostName;
  readonly learning: boolean;
  readonly arp: 'off' | 'proxy';
}

/** An agent of another bed than the router one: its own host names, tunnel IPs and extra options. */
export interface PlacedAgentSpec {
  readonly host: string;
  readonly learning: boolean;
  readonly arp: 'off' | 'proxy';
  readonly tunnelIp: string;
  readonly extraArgs?: readonly string[];
}

/** Where the agents find the controller: its queues, reached through the management socket. */
export interface AgentLink {
  readonly endpoint: string;
  readonly socketPath: string;
  readonly agentEventsUrl: string;
  agentQueueName(host: string): string;
}

export interface AgentLogLine {
  readonly host: string;
  readonly t: number;
  readonly message: string;
  readonly [field: string]: unknown;
}

interface Member {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/**
 * One reference-agent process per host namespace (`ip netns exec <host> node --import tsx
 * agent/main.ts --transport sqs`): it reports itself on the agent-events queue, then long-polls its
 * own command queue, which the controller creates on that first report (so the agent is given the
 * queue's name and resolves it). The agents program the kernel of their own namespace directly.
 * Their JSON log lines (stderr) are kept with a timestamp each.
 */
export class AgentFleet {
  readonly logs: AgentLogLine[] = [];
  readonly #members = new Map<string, Member>();

  constructor(
    record: RunRecord,
    topology: Topology | { readonly ns: Readonly<Record<string, string>> },
    specs: readonly (AgentSpec | PlacedAgentSpec)[],
    link: AgentLink,
  ) {
    const namespaces: Readonly<Record<string, string>> = topology.ns;
    for (const spec of specs) {
      const tunnelIp = 'tunnelIp' in spec ? spec.tunnelIp : HOSTS[spec.host].underlayIp;
      const args = [
        ...[
          'netns',
          'exec',
          namespaces[spec.host] as string,
          process.execPath,
          '--import',
          'tsx',
          AGENT_MAIN,
        ],
        ...['--host', spec.host, '--tunnel-ip', tunnelIp],
        ...['--learning', spec.learning ? 'on' : 'off', '--arp', spec.arp, '--bridge-prefix', 'br-'],
        ...['--transport', 'sqs', '--command-queue-name', link.agentQueueName(spec.host)],
        ...['--event-queue-url', link.agentEventsUrl, '--sqs-endpoint', link.endpoint],
        ...['--sqs-socket', link.socketPath],
        ...('extraArgs' in spec ? (spec.extraArgs ?? []) : []),
      ];
      const child = spawn('ip', args, { cwd: REPO, env: HARNESS_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
      record.addProcess(child.pid, `agent ${spec.host}`, AGENT_MAIN);
      this.#members.set(spec.host, {
        child,
        exited: new Promise((r) => child.once('close', () => r())),
      });
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
        let parsed: AgentLogLine;
        try {
          parsed = { ...JSON.parse(line), host: spec.host };
        } catch {
          parsed = { host: spec.host, t: Date.now(), message: 'stderr', line };
        }
        this.logs.push(parsed);
      });
    }
  }

  /** Hosts whose agent has applied at least one command. */
  applied(): Set<string> {
    return new Set(this.logs.filter((l) => l.message === 'applied').map((l) => l.host));
  }

  /** Every agent is still running. */
  get running(): boolean {
    return [...this.#members.values()].every((m) => m.child.exitCode === null);
  }

  /** SIGTERM (the agent aborts its long poll and exits), then SIGKILL if one lingers. */
  async stop(timeoutMs = 3000): Promise<void> {
    for (const m of this.#members.values()) if (m.child.exitCode === null) m.child.kill('SIGTERM');
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([Promise.all([...this.#members.values()].map((m) => m.exited)), timer]);
    for (const m of this.#members.values()) if (m.child.exitCode === null) m.child.kill('SIGKILL');
  }
}
