import { holdsFixedIps } from '../core/aap.js';
import type { VipViewChange } from '../core/engine.js';
import type { Port } from '../core/types.js';
import { newlyHeldIps, unbindVip, vipsAtRisk, withdrawHeldVip } from '../core/vip-binding.js';
import { sameVipView, type VipRecord, viewOfVip } from '../core/vip-view.js';
import { type FactCheck, type FactStore, type Guarded, vipReadKey } from './ports.js';

/**
 * What port events do to the VIPs their ports own or hold (docs/vip.md, "A binding is tied to its
 * port"): records to write (guarded on their version), their views' moves for the plan, and the
 * checks that stand in for records not read.
 */
export interface VipUnbinding {
  readonly writes: readonly Guarded<VipRecord>[];
  readonly views: readonly VipViewChange[];
  /** The records after the change, for the planner's full read. */
  readonly after: readonly VipRecord[];
  readonly checks: readonly FactCheck[];
}

export const NO_UNBINDING: VipUnbinding = { writes: [], views: [], after: [], checks: [] };

/** One port's successive values in a commit: as stored first, then after each event (undefined: deleted). */
export interface PortHistory {
  readonly id: string;
  readonly states: readonly (Port | undefined)[];
}

/**
 * Finds the VIP records the ports' changes unbind, without a read in the steady state:
 *
 * - a bare pair `x` whose right is lost (`vipsAtRisk`) names its record, `VIP#x`. Read only when
 *   an earlier attempt learnt it matters (`known`); otherwise the commit carries a `vipNotHeld`
 *   check for it, which holds unless the port owns or holds `x`. So deleting, moving or unbinding a
 *   port with pairs costs nothing more unless it holds a VIP; when it does, the transaction is
 *   cancelled, `x` goes into `known`, and the retry reads the record (one more BatchGetItem and
 *   TransactWriteItems, only for a port that loses a VIP it holds).
 * - a wider pair whose right may be lost can cover any VIP of the network: they are listed (one
 *   Query, only then).
 *
 * - a fixed IP a port starts to hold (`newlyHeldIps`) withdraws another port's binding there
 *   (`withdrawHeldVip`): its record, `VIP#ip`, is read in the event's BatchGetItem whenever the
 *   port is bound (`heldVipReads`), so this costs no request.
 *
 * A record read whose holders do not name the port gets the same check, so a claim that adds the
 * port meanwhile (a suppressed claim writes the record alone) makes the commit re-plan. Every
 * other claim that races the event moves a view, so it writes the network state, which every port
 * commit is guarded on.
 */
export async function planVipUnbinding(
  store: Pick<FactStore, 'listNetworkVips'>,
  networkId: string,
  ports: readonly PortHistory[],
  read: ReadonlyMap<string, VipRecord | undefined> | undefined,
  known: Set<string>,
): Promise<VipUnbinding> {
  const atRisk = new Map<string, Set<string>>();
  // address -> the port that starts to hold it as a fixed IP (the `ip:` owner keeps it to one)
  const taken = new Map<string, string>();
  let listAll = false;
  for (const { id, states } of ports) {
    for (let i = 1; i < states.length; i++) {
      for (const ip of newlyHeldIps(states[i - 1], states[i])) taken.set(ip, id);
      const risk = vipsAtRisk(states[i - 1], states[i]);
      listAll ||= risk.prefixes;
      for (const ip of risk.addresses) atRisk.set(ip, (atRisk.get(ip) ?? new Set()).add(id));
    }
  }
  if (atRisk.size === 0 && !listAll && taken.size === 0) return NO_UNBINDING;
  const records = new Map<string, VipRecord | undefined>();
  for (const ip of [...atRisk.keys(), ...taken.keys()]) {
    const key = vipReadKey(networkId, ip);
    if (read?.has(key)) records.set(ip, read.get(key));
  }
  if (listAll) for (const r of await store.listNetworkVips(networkId)) records.set(r.ip, r);
  const checks: FactCheck[] = [];
  for (const [ip, ids] of atRisk)
    if (!records.has(ip)) {
      known.add(ip);
      for (const portId of ids) checks.push({ kind: 'vipNotHeld', networkId, ip, portId });
    }
  const writes: Guarded<VipRecord>[] = [];
  const views: VipViewChange[] = [];
  for (const [ip, before] of [...records].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!before) continue;
    let after = before;
    for (const { id, states } of ports) {
      for (const port of states.slice(1)) after = unbindVip(after, id, port) ?? after;
      const concerned = listAll || atRisk.get(ip)?.has(id);
      if (concerned && after.holders[id] === undefined && before.holders[id] === undefined)
        checks.push({ kind: 'vipNotHeld', networkId, ip, portId: id });
    }
    const holder = taken.get(ip);
    if (holder !== undefined) after = withdrawHeldVip(after, holder) ?? after;
    if (after === before) continue;
    writes.push({ value: { ...after, version: before.version + 1 }, expected: before.version });
    const [vb, va] = [viewOfVip(before), viewOfVip(after)];
    if (!sameVipView(vb, va)) views.push({ before: vb, after: va });
  }
  return { writes, views, after: writes.map((w) => w.value), checks };
}

/** The VIP records a port event reads with its facts: one per fixed IP of a bound port (`withdrawHeldVip`). */
export function heldVipReads(next: Port): string[] {
  return holdsFixedIps(next) ? [...new Set(next.ips)] : [];
}
