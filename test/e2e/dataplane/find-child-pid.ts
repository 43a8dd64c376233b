import { readdirSync, readFileSync } from 'node:fs';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The PID of a direct child of `parent` whose command line contains every `marker`, or null. Used
 * to record a process a library spawned for us (DynamoDB Local's JVM), so teardown of a crashed
 * run can stop it by PID like everything else the run started.
 */
export function findChildPid(parent: number, markers: readonly string[]): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ')'.
    const stat = read(`/proc/${entry}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== parent) continue;
    const cmdline = read(`/proc/${entry}/cmdline`).replaceAll('\0', ' ');
    if (markers.every((m) => cmdline.includes(m))) return Number(entry);
  }
  return null;
}
