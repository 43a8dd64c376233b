import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCommand, sleep } from './run-command.js';

interface RecordedProcess {
  readonly pid: number;
  readonly label: string;
  /** A word its /proc cmdline must contain before a later run may kill it (PID reuse guard). */
  readonly marker: string;
}

interface RecordFile {
  readonly ownerPid: number;
  readonly namespaces: string[];
  readonly processes: RecordedProcess[];
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function stopProcess(p: RecordedProcess, graceMs: number): Promise<void> {
  if (!alive(p.pid) || !cmdlineOf(p.pid).includes(p.marker)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(p.pid) && Date.now() < deadline) await sleep(20);
  if (alive(p.pid) && cmdlineOf(p.pid).includes(p.marker)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/**
 * Everything a run creates, written to `<dir>/state.json` before it is created: teardown (also of
 * a run that crashed) stops exactly these PIDs and deletes exactly these namespaces, never by name
 * pattern. A zombie PID of our own child stays in /proc until reaped; that is harmless here.
 */
export class RunRecord {
  readonly dir: string;
  readonly #state: RecordFile;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.#state = { ownerPid: process.pid, namespaces: [], processes: [] };
    this.#save();
  }

  #save(): void {
    writeFileSync(path.join(this.dir, 'state.json'), JSON.stringify(this.#state, null, 1));
  }

  addNamespace(name: string): void {
    this.#state.namespaces.push(name);
    this.#save();
  }

  addProcess(pid: number | undefined, label: string, marker: string): void {
    if (pid === undefined) throw new Error(`${label} did not start`);
    this.#state.processes.push({ pid, label, marker });
    this.#save();
  }

  /** Stops every recorded process (SIGTERM, then SIGKILL after `graceMs`) and deletes the namespaces. */
  async teardown(graceMs = 3000): Promise<{ ms: number; leftovers: string[] }> {
    const started = Date.now();
    await teardownState(this.#state, graceMs);
    const leftovers = await leftoversOf(this.#state);
    // FAILOVER_DEBUG keeps the run directory (logs, configs, notify and sender logs) for inspection.
    if (leftovers.length === 0 && !process.env.FAILOVER_DEBUG)
      rmSync(this.dir, { recursive: true, force: true });
    return { ms: Date.now() - started, leftovers };
  }
}

async function teardownState(state: RecordFile, graceMs: number): Promise<void> {
  await Promise.all(state.processes.map((p) => stopProcess(p, graceMs)));
  for (const ns of [...state.namespaces].reverse()) {
    await runCommand(['ip', 'netns', 'del', ns]).catch(() => undefined);
  }
}

async function leftoversOf(state: RecordFile): Promise<string[]> {
  const listed = await runCommand(['ip', 'netns', 'list']).catch(() => '');
  const names = new Set(listed.split('\n').map((l) => l.split(' ')[0]));
  return [
    ...state.namespaces.filter((ns) => names.has(ns)).map((ns) => `netns ${ns}`),
    ...state.processes
      .filter((p) => alive(p.pid) && cmdlineOf(p.pid).includes(p.marker))
      .map((p) => `pid ${p.pid} (${p.label})`),
  ];
}

/** Tears down runs whose owning process is gone (a crashed or killed earlier test run). */
export async function cleanStaleRuns(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const cleaned: string[] = [];
  for (const entry of readdirSync(root)) {
    const file = path.join(root, entry, 'state.json');
    if (!existsSync(file)) continue;
    const state = JSON.parse(readFileSync(file, 'utf8')) as RecordFile;
    if (alive(state.ownerPid)) continue;
    await teardownState(state, 1000);
    rmSync(path.join(root, entry), { recursive: true, force: true });
    cleaned.push(entry);
  }
  return cleaned;
}

/** What every scenario's report opens with: what ran and why, its setup and teardown, its cases. */
export interface ScenarioReportHead<R> {
  readonly id: string;
  readonly why: string;
  readonly setup_ms: number;
  readonly teardown_ms: number;
  readonly leftovers: readonly string[];
  readonly results: readonly R[];
}

/** Tears the run down (`RunRecord.teardown`) and opens its scenario's report. */
export async function closeScenario<R>(
  record: RunRecord,
  scenario: { readonly id: string; readonly why: string },
  setupMs: number,
  results: readonly R[],
): Promise<ScenarioReportHead<R>> {
  const teardown = await record.teardown();
  return {
    id: scenario.id,
    why: scenario.why,
    setup_ms: setupMs,
    teardown_ms: teardown.ms,
    leftovers: teardown.leftovers,
    results,
  };
}
