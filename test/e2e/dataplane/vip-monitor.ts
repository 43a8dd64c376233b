import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HARNESS_ENV } from './run-command.js';
import type { RunRecord } from './run-record.js';

export interface VipChange {
  /** Epoch milliseconds, as the kernel event was printed by `ip -ts monitor`. */
  readonly t: number;
  readonly added: boolean;
}

/**
 * `[2026-11-25T02:40:01.744236] 3: qr    inet 192.0.2.1/24 ...` or the same with `Deleted`; for
 * keepalived's changes `ip` prints the timestamp twice (two netlink parts), the first one counts.
 */
const LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (?:\[[^\]]+\] )*(Deleted )?\d+: \S+\s+inet (\S+)\//;

/**
 * Watches a router namespace's `qr` for the VIP being added or removed (`ip -ts monitor address`):
 * the moment keepalived actually moved the address, independent of when its notify script got
 * to run (under load the script's `date` lagged the move by up to ~100 ms).
 */
export class VipMonitor {
  readonly changes: VipChange[] = [];
  readonly #child: ChildProcess;

  constructor(record: RunRecord, ns: string, label: string, vip: string) {
    this.#child = spawn('ip', ['-n', ns, '-ts', 'monitor', 'address', 'dev', 'qr'], {
      env: HARNESS_ENV,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    record.addProcess(this.#child.pid, `vip monitor ${label}`, 'monitor');
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const m = LINE.exec(line);
      // `ip -ts` prints local time without a zone; Date parses such a string as local time too.
      if (m && m[3] === vip) this.changes.push({ t: new Date(m[1] as string).getTime(), added: !m[2] });
    });
  }

  firstAddedAfter(t: number): number | null {
    return this.changes.find((c) => c.added && c.t > t)?.t ?? null;
  }

  stop(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
  }
}
