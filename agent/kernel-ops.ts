import { assertDeviceName, assertIp, assertMac, FLOODING_MAC } from './kernel-values.js';
import type { FdbEntry, PayloadStep } from './parse-agent-command.js';

/**
 * One change to a VXLAN device's forwarding state. Every operation is idempotent: `append` of a
 * flooding destination that is already there succeeds, `replace` overwrites, and a removal of
 * something absent counts as done. So a redelivered command can simply be applied again.
 */
export type KernelOp =
  | { readonly op: 'flood-append' | 'flood-del'; readonly dev: string; readonly vtep: string }
  | {
      readonly op: 'fdb-replace' | 'fdb-del';
      readonly dev: string;
      readonly mac: string;
      readonly vtep: string;
    }
  | {
      readonly op: 'neigh-replace' | 'neigh-del';
      readonly dev: string;
      readonly ip: string;
      readonly mac: string;
    }
  /** Forget what the Linux bridge learned about `mac` behind the vxlan port (see `withBridgeForget`). */
  | { readonly op: 'bridge-forget'; readonly dev: string; readonly mac: string };

export type KernelProgram = 'bridge' | 'ip';

export interface KernelCommand {
  readonly program: KernelProgram;
  /** Arguments after the program name; each one re-validated here. */
  readonly args: readonly string[];
  /** A removal: "not found" means it already holds. */
  readonly removal: boolean;
}

/**
 * The argv of one operation. Values are checked again at this last step, so no code path can hand
 * the executor an unchecked string (`dev` included), whatever built the operation.
 */
export function kernelCommandOf(op: KernelOp): KernelCommand {
  const dev = assertDeviceName(op.dev);
  switch (op.op) {
    case 'flood-append':
      return {
        program: 'bridge',
        removal: false,
        args: ['fdb', 'append', FLOODING_MAC, 'dev', dev, 'dst', assertIp(op.vtep), 'self', 'permanent'],
      };
    case 'flood-del':
      return {
        program: 'bridge',
        removal: true,
        args: ['fdb', 'del', FLOODING_MAC, 'dev', dev, 'dst', assertIp(op.vtep), 'self'],
      };
    case 'fdb-replace':
      return {
        program: 'bridge',
        removal: false,
        args: [
          'fdb',
          'replace',
          assertMac(op.mac),
          'dev',
          dev,
          'dst',
          assertIp(op.vtep),
          'self',
          'permanent',
        ],
      };
    case 'fdb-del':
      // With `dst`, the kernel removes only that destination: a late removal cannot wipe a MAC that
      // has since moved to another VTEP (docs/neutron-l2pop.md §4).
      return {
        program: 'bridge',
        removal: true,
        args: ['fdb', 'del', assertMac(op.mac), 'dev', dev, 'dst', assertIp(op.vtep), 'self'],
      };
    case 'neigh-replace':
      return {
        program: 'ip',
        removal: false,
        args: [
          'neigh',
          'replace',
          assertIp(op.ip),
          'lladdr',
          assertMac(op.mac),
          'dev',
          dev,
          'nud',
          'permanent',
        ],
      };
    case 'neigh-del':
      return {
        program: 'ip',
        removal: true,
        args: ['neigh', 'del', assertIp(op.ip), 'lladdr', assertMac(op.mac), 'dev', dev],
      };
    case 'bridge-forget':
      return {
        program: 'bridge',
        removal: true,
        args: ['fdb', 'del', assertMac(op.mac), 'dev', dev, 'master'],
      };
  }
}

function isFlood(e: FdbEntry): boolean {
  return e.mac === FLOODING_MAC;
}

function addOps(dev: string, proxy: boolean, entries: readonly FdbEntry[]): KernelOp[] {
  const ops: KernelOp[] = [];
  for (const e of entries) {
    if (isFlood(e)) ops.push({ op: 'flood-append', dev, vtep: e.vtep });
    else {
      ops.push({ op: 'fdb-replace', dev, mac: e.mac, vtep: e.vtep });
      if (proxy) ops.push({ op: 'neigh-replace', dev, ip: e.ip, mac: e.mac });
    }
  }
  return ops;
}

function removeOps(dev: string, proxy: boolean, entries: readonly FdbEntry[]): KernelOp[] {
  const ops: KernelOp[] = [];
  for (const e of entries) {
    if (isFlood(e)) ops.push({ op: 'flood-del', dev, vtep: e.vtep });
    else {
      ops.push({ op: 'fdb-del', dev, mac: e.mac, vtep: e.vtep });
      if (proxy) ops.push({ op: 'neigh-del', dev, ip: e.ip, mac: e.mac });
    }
  }
  return ops;
}

/**
 * The operations of a delta, in payload order (remove, chg_ip, add), as the Linux bridge agent
 * applies them: flooding entries become extra FDB destinations of the all-zero MAC, unicast entries
 * permanent FDB entries, and ARP entries exist only when the device answers ARP itself (`proxy`).
 * `chg_ip` moves ARP entries only (the MAC stays where it is).
 */
export function planDeltaOps(
  dev: string,
  proxy: boolean,
  steps: readonly PayloadStep[],
  bridged = false,
): KernelOp[] {
  const ops: KernelOp[] = [];
  for (const step of steps) {
    if (step.kind === 'chg_ip') {
      if (!proxy) continue;
      for (const e of step.before) ops.push({ op: 'neigh-del', dev, ip: e.ip, mac: e.mac });
      for (const e of step.after) ops.push({ op: 'neigh-replace', dev, ip: e.ip, mac: e.mac });
    } else if (step.kind === 'add') ops.push(...addOps(dev, proxy, step.entries));
    else ops.push(...removeOps(dev, proxy, step.entries));
  }
  const coalesced = coalesceOps(dropRestoredNeighbours(ops));
  return bridged ? withBridgeForget(coalesced) : coalesced;
}

const isNeigh = (op: KernelOp): op is Extract<KernelOp, { op: 'neigh-replace' | 'neigh-del' }> =>
  op.op === 'neigh-replace' || op.op === 'neigh-del';

/**
 * Drops the ARP operations of a delta that leave an entry as it was: on one IP, a first operation
 * that removes `ip -> mac` (so the entry was there) and a last one that writes the same `ip -> mac`
 * again. A failover under master-binding moves the router's MAC to another VTEP: its FDB entry
 * changes, its ARP entry (the router IP -> the same MAC) does not. Rewriting it cost one `ip`
 * process per agent per failover, ~8 ms of the agent's CPU next to a 0.7 ms plan
 * (docs/dataplane.md §4.4). The end state is the same; a missing entry (drift) is the snapshot's and
 * the drift audit's to repair, as for every entry a delta does not touch.
 */
export function dropRestoredNeighbours(ops: readonly KernelOp[]): KernelOp[] {
  const first = new Map<string, KernelOp>();
  const last = new Map<string, KernelOp>();
  for (const op of ops) {
    if (!isNeigh(op)) continue;
    const key = keyOf(op);
    if (!first.has(key)) first.set(key, op);
    last.set(key, op);
  }
  const restored = new Set<string>();
  for (const [key, f] of first) {
    const l = last.get(key);
    if (f.op === 'neigh-del' && l?.op === 'neigh-replace' && isNeigh(f) && l.mac === f.mac) restored.add(key);
  }
  return restored.size === 0 ? [...ops] : ops.filter((op) => !(isNeigh(op) && restored.has(keyOf(op))));
}

/**
 * After each removal of a unicast MAC (not a move: `coalesceOps` already turned those into one
 * `replace`), also drop the entry the Linux bridge learned for that MAC on the vxlan port. That
 * entry can be wrong in a way no l2pop entry fixes: measured with master-binding and ARP proxy on
 * the network nodes, at node loss the new master's GARP was answered by its own VTEP's proxy from
 * the not-yet-removed entry for the router, the injected reply taught the bridge that the router
 * MAC lives behind the vxlan port, and the bridge dropped all traffic to the local router until
 * keepalived's second GARP batch 5 s later (`garp_master_delay`). Forgetting it makes the bridge
 * flood once and relearn the MAC where it really is.
 */
export function withBridgeForget(ops: readonly KernelOp[]): KernelOp[] {
  return ops.flatMap((op) =>
    op.op === 'fdb-del' ? [op, { op: 'bridge-forget', dev: op.dev, mac: op.mac } as const] : [op],
  );
}

function keyOf(op: KernelOp): string {
  switch (op.op) {
    case 'flood-append':
    case 'flood-del':
      return `flood|${op.dev}|${op.vtep}`;
    case 'fdb-replace':
    case 'fdb-del':
      return `fdb|${op.dev}|${op.mac}`;
    case 'neigh-replace':
    case 'neigh-del':
      return `neigh|${op.dev}|${op.ip}`;
    case 'bridge-forget':
      return `bridge|${op.dev}|${op.mac}`;
  }
}

/**
 * Drops operations a later one makes redundant, keeping the end state: a removal of a unicast MAC
 * or an ARP entry that a later `replace` of the same key overwrites anyway, and an operation equal to
 * the previous one on its key.
 * A failover then costs one `replace` instead of `del` + `replace`, and the MAC is never briefly
 * unknown (which would flood it).
 */
export function coalesceOps(ops: readonly KernelOp[]): KernelOp[] {
  const lastReplace = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.op === 'fdb-replace' || op.op === 'neigh-replace') lastReplace.set(keyOf(op), i);
  });
  const previous = new Map<string, string>();
  const out: KernelOp[] = [];
  ops.forEach((op, i) => {
    const key = keyOf(op);
    if ((op.op === 'fdb-del' || op.op === 'neigh-del') && (lastReplace.get(key) ?? -1) > i) return;
    const exact = JSON.stringify(op);
    if (previous.get(key) === exact) return;
    previous.set(key, exact);
    out.push(op);
  });
  return out;
}
