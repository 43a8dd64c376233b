import { closeSync, type FSWatcher, fstatSync, openSync, readSync, watch } from 'node:fs';

export const VRRP_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;
export type VrrpState = (typeof VRRP_STATES)[number];

export interface NotifyLine {
  /** Epoch milliseconds (from the hook's `date +%s%N`). */
  readonly t: number;
  readonly router: string;
  readonly state: VrrpState;
  /** Epoch milliseconds when the harness read the line. */
  readonly seenAt: number;
}

const LINE = /^(\d{19}) (rtr[12]) (MASTER|BACKUP|FAULT|STOP)$/;

/**
 * Follows notify.log: inotify for promptness plus a 10 ms poll as a safety net (both cheap; the
 * file grows by one line per VRRP transition). Lines that do not match the hook's format are ignored.
 */
export class NotifyLog {
  readonly lines: NotifyLine[] = [];
  readonly #fd: number;
  readonly #watcher: FSWatcher;
  readonly #timer: NodeJS.Timeout;
  readonly #listeners = new Set<(line: NotifyLine) => void>();
  #offset = 0;
  #partial = '';

  constructor(file: string) {
    this.#fd = openSync(file, 'r');
    this.#watcher = watch(file, () => this.#read());
    this.#timer = setInterval(() => this.#read(), 10);
  }

  onLine(listener: (line: NotifyLine) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The first line matching `pred` (already seen or future). */
  find(pred: (line: NotifyLine) => boolean): NotifyLine | undefined {
    this.#read();
    return this.lines.find(pred);
  }

  #read(): void {
    const size = fstatSync(this.#fd).size;
    if (size <= this.#offset) return;
    const buf = Buffer.alloc(size - this.#offset);
    const n = readSync(this.#fd, buf, 0, buf.length, this.#offset);
    this.#offset += n;
    const text = this.#partial + buf.subarray(0, n).toString('utf8');
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    const seenAt = performance.timeOrigin + performance.now();
    for (const raw of parts) {
      const m = LINE.exec(raw.trim());
      if (!m) continue;
      const line: NotifyLine = {
        t: Number(BigInt(m[1] as string) / 1000n) / 1000,
        router: m[2] as string,
        state: m[3] as VrrpState,
        seenAt,
      };
      this.lines.push(line);
      for (const l of this.#listeners) l(line);
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#watcher.close();
    closeSync(this.#fd);
  }
}
