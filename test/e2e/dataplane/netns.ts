import { execIn, ipIn, runCommand } from './run-command.js';
import type { RunRecord } from './run-record.js';

/**
 * The namespace primitives both kernel beds build on (topology.ts, vip-bed.ts): a namespace
 * recorded for the run's cleanup, a veth pair straight into two namespaces, a tenant bridge.
 */

/** A namespace, recorded for cleanup, with `lo` up and the given sysctls (`key=value`) set in it. */
export async function addNamespace(record: RunRecord, name: string, ...sysctls: string[]): Promise<void> {
  record.addNamespace(name);
  await runCommand(['ip', 'netns', 'add', name]);
  await ipIn(name, 'link', 'set', 'lo', 'up');
  await execIn(name, 'sysctl', '-q', '-w', ...sysctls);
}

/** A veth pair created straight into two namespaces (no interface ever exists in the root one). */
export async function veth(aNs: string, aName: string, bNs: string, bName: string): Promise<void> {
  await runCommand([
    'ip',
    'link',
    'add',
    aName,
    'netns',
    aNs,
    'type',
    'veth',
    'peer',
    'name',
    bName,
    'netns',
    bNs,
  ]);
}

/** A bridge without multicast snooping (the vxlan floods reach every port), up. */
export async function bridge(ns: string, name: string): Promise<void> {
  await ipIn(ns, 'link', 'add', name, 'type', 'bridge', 'mcast_snooping', '0');
  await ipIn(ns, 'link', 'set', name, 'up');
}
