import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Reply } from './measure-outage.js';
import { HARNESS_ENV } from './run-command.js';
import type { RunRecord } from './run-record.js';

const REPLY = /^\[(\d+\.\d+)\] \d+ bytes from [\d.a-f:]+: icmp_seq=(\d+) ttl=\d+ time=[\d.]+ ms( \(DUP!\))?/;
const STATS = /(\d+) packets transmitted, (\d+) received/;

/**
 * The probe interval, seconds. An outage is measured from the last reply before the failure to the
 * first after the recovery, so it carries up to one real interval on each side. `-i 0.01` sends
 * every 16.5 ms on this machine, `-i 0.005` every 5.0 ms (`ping -D -i I -c 300 127.0.0.1`, mean
 * gap between replies): 0.005 puts the probe's error under the +20 ms goal it must judge.
 */
export const PROBE_INTERVAL_S = '0.005';

/**
 * `ping -D -O -n -i PROBE_INTERVAL_S` from a VM namespace: every reply carries its receive
 * timestamp, and SIGINT makes ping print its totals. The PID is ping's own (`ip netns exec` execs it).
 */
export class PingProbe {
  readonly replies: Reply[] = [];
  duplicates = 0;
  transmitted: number | null = null;
  received: number | null = null;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  constructor(record: RunRecord, ns: string, label: string, target: string) {
    this.#child = spawn(
      'ip',
      ['netns', 'exec', ns, 'ping', '-D', '-O', '-n', '-i', PROBE_INTERVAL_S, target],
      {
        env: HARNESS_ENV,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    record.addProcess(this.#child.pid, `ping ${label}`, 'ping');
    const out = this.#child.stdout;
    if (!out) throw new Error('ping has no stdout');
    createInterface({ input: out }).on('line', (line) => this.#parse(line));
    this.#exited = new Promise((resolve) => this.#child.once('close', () => resolve()));
  }

  #parse(line: string): void {
    const m = REPLY.exec(line);
    if (m) {
      if (m[3]) this.duplicates++;
      else this.replies.push({ t: Number(m[1]) * 1000, seq: Number(m[2]) });
      return;
    }
    const s = STATS.exec(line);
    if (s) {
      this.transmitted = Number(s[1]);
      this.received = Number(s[2]);
    }
  }

  /** Replies received in the last `ms` milliseconds. */
  recentReplies(ms: number): number {
    const since = Date.now() - ms;
    let n = 0;
    for (let i = this.replies.length - 1; i >= 0 && (this.replies[i] as Reply).t >= since; i--) n++;
    return n;
  }

  get lastReplyAt(): number | null {
    return this.replies.at(-1)?.t ?? null;
  }

  /** SIGINT, then the totals ping prints on the way out. */
  async stop(): Promise<{ sent: number; received: number }> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGINT');
    await this.#exited;
    return { sent: this.transmitted ?? 0, received: this.received ?? this.replies.length };
  }
}
