import type { PortContribution } from './contribution.js';
import type { Member } from './membership.js';
import { PlannerPreconditionError } from './plan.js';
import type { RouterView } from './types.js';
import type { VipView } from './vip-view.js';

/**
 * The shared unicast FDB entries of a network (docs/drift-audit.md, "Shared unicast entries"): an
 * agent's digest counts each entry of its view once (`computeViewDigest`), but a VIP's unicast
 * entry `MAC → owner's VTEP` may be held by more than one contribution: the owner port's own (a
 * plain VIP is announced with the port's MAC) and every other VIP announced with the same MAC
 * from the same host (one VRRP instance, one virtual MAC). So the network's record keeps, for
 * every (MAC, host) some owned VIP is at, who holds it: each owned VIP (under any strategy) with
 * its audience, and the port contributions holding it, counted by the slot they would put it in.
 * Such a key's unicast entry enters the drift-audit sums once, from this table
 * (`addVipKeyDigest`), never from its holders' contributions; every other unicast entry is held by
 * one contribution only (Neutron keeps port MACs unique per network).
 *
 * The table lives on the network's state item, which every planner reads and every commit writes,
 * so a commit knows each key's holders before and after without a read of its own.
 */

/** `all`: seen by every agent; a list: an `auto` VIP's announcing hosts; null: a `tunnel` VIP (no entry). */
export type VipKeyAudience = 'all' | readonly string[] | null;

export interface VipKeyHolders {
  /** Port contributions holding the entry, by slot: `all` or the id of the router whose group holds it. */
  readonly ports: Readonly<Record<string, number>>;
  /** The owned VIPs at this (MAC, host), by IP. */
  readonly vips: Readonly<Record<string, VipKeyAudience>>;
}

interface MutableHolders {
  ports: Record<string, number>;
  vips: Record<string, VipKeyAudience>;
}

/** Keyed by `vipKeyOf(mac, host)`. */
export type VipKeyTable = Readonly<Record<string, VipKeyHolders>>;

export const vipKeyOf = (mac: string, host: string): string => `${mac}@${host}`;

export function splitVipKey(key: string): { readonly mac: string; readonly host: string } {
  const at = key.indexOf('@');
  return { mac: key.slice(0, at), host: key.slice(at + 1) };
}

/**
 * Whether the owner port is all a planner needs to know who else holds a VIP's unicast entry: the
 * MAC the VIP is announced at is the owner port's own, or no port's (`macOwner`, the MAC's owner
 * item). A virtual MAC that is another port's MAC leaves that port's holding unknown, so the
 * planner is not given the owner, and a key new to the table runs the full recompute.
 */
export function ownerPortKnowsHolders(macOwner: string | undefined, ownerPortId: string): boolean {
  return macOwner === undefined || macOwner === ownerPortId;
}

/** The slot group of a key whose holders are all master-binding-only (router ids are UUIDs: no collision). */
export const vipKeyGroup = (key: string): string => `k:${key}`;

export function vipKeyAudience(view: VipView): VipKeyAudience {
  if (view.strategy === 'tunnel') return null;
  return view.strategy === 'master-binding' ? 'all' : [...view.hosting];
}

/** The unicast keys a contribution holds, each once, with its slot (`all` or `group`). */
export function unicastHoldings(contribution: PortContribution, group: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of contribution.entries)
    out.set(vipKeyOf(e.entry[0], e.host), e.audience.kind === 'all' ? 'all' : group);
  return out;
}

/**
 * Where a key's entry is seen: by every agent (`all`: some holder is seen by all), by the agents
 * with the master-binding view of the union of its holders' hosting hosts (a list), or nowhere.
 * The union is exact: an agent sees the entry when it sees it through one holder, and
 * `computeRouterView` is `master-binding` for a hosting set iff the agent's own view is, or one of
 * the hosting members runs an ARP proxy, which holds for the union iff it holds for one of them.
 */
export function computeVipKeyPlacement(
  holders: VipKeyHolders | undefined,
  routers: Readonly<Record<string, RouterView>>,
): 'all' | readonly string[] | null {
  if (!holders) return null;
  const hosting = new Set<string>();
  let any = false;
  for (const a of Object.values(holders.vips)) {
    if (a === null) continue;
    if (a === 'all') return 'all';
    any = true;
    for (const h of a) hosting.add(h);
  }
  for (const [slot, n] of Object.entries(holders.ports)) {
    if (n <= 0) continue;
    if (slot === 'all') return 'all';
    any = true;
    for (const h of routers[slot]?.hosts ?? []) hosting.add(h);
  }
  return any ? [...hosting].sort() : null;
}

/** A port contribution's holdings, for the table and the sums: with the group its grouped entries go to. */
export interface HoldingMove {
  readonly id: string;
  readonly holdings: ReadonlyMap<string, string>;
}

/** What a change does to the table; `entered` / `left`: keys new to it or gone, with the holdings of ports outside the change. */
export interface VipKeyPlan {
  readonly before: VipKeyTable;
  readonly after: VipKeyTable;
  readonly entered: ReadonlyMap<string, Readonly<Record<string, number>>>;
  readonly left: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

function bump(ports: Record<string, number>, slot: string, by: number, key: string): void {
  const n = (ports[slot] ?? 0) + by;
  if (n < 0) throw new PlannerPreconditionError('vip-key-mismatch', `vip key ${key}: negative holders`);
  if (n === 0) delete ports[slot];
  else ports[slot] = n;
}

/**
 * The table after a source or VIP change: the changed ports' holdings leave (as recorded) and come
 * back (after), each VIP leaves its key and joins its new one. A key new to the table takes the
 * holdings of the VIP's owner port (`ownerHoldings`, the port the claim or release read), which
 * were counted outside the table until then; a key no VIP is at any more leaves it, and the
 * holdings of ports outside the change go back to being counted by their contributions. A key that
 * enters with no owner port known, or holdings that do not add up, fail the planner's precondition,
 * and the full recompute rebuilds the table (`computeVipKeyTable`).
 */
export function planVipKeys(
  table: VipKeyTable,
  ports: readonly { readonly before: HoldingMove | null; readonly after: HoldingMove | null }[],
  vips: readonly {
    readonly before: VipView | null;
    readonly after: VipView | null;
    readonly ownerHoldings?: ReadonlyMap<string, string> | undefined;
    /** The owner port's id after: when the change moves that port, its holdings move with it. */
    readonly ownerId?: string | undefined;
  }[],
): VipKeyPlan {
  const t = new Map<string, MutableHolders>(
    Object.entries(table).map(([k, h]) => [k, { ports: { ...h.ports }, vips: { ...h.vips } }]),
  );
  for (const { before } of ports)
    for (const [k, slot] of before?.holdings ?? []) {
      const h = t.get(k);
      if (h) bump(h.ports, slot, -1, k);
    }
  for (const v of vips) {
    if (!v.before) continue;
    const h = t.get(vipKeyOf(v.before.mac, v.before.host));
    if (!h || !(v.before.ip in h.vips))
      throw new PlannerPreconditionError('vip-key-mismatch', `vip ${v.before.ip} not in its key`);
    delete h.vips[v.before.ip];
  }
  const changed = new Set<string | undefined>(
    ports.flatMap((c) => [c.before?.id ?? [], c.after?.id ?? []].flat()),
  );
  const entered = new Map<string, Record<string, number>>();
  for (const v of vips) {
    if (!v.after) continue;
    const k = vipKeyOf(v.after.mac, v.after.host);
    let h = t.get(k);
    if (!h) {
      if (!v.ownerHoldings && !changed.has(v.ownerId))
        throw new PlannerPreconditionError(
          'vip-key-unknown',
          `vip ${v.after.ip}: who holds ${k} is not known`,
        );
      const outside: Record<string, number> = {};
      const slot = changed.has(v.ownerId) ? undefined : v.ownerHoldings?.get(k);
      if (slot !== undefined) outside[slot] = 1;
      entered.set(k, outside);
      h = { ports: { ...outside }, vips: {} };
      t.set(k, h);
    }
    h.vips[v.after.ip] = vipKeyAudience(v.after);
  }
  const left = new Map<string, Record<string, number>>();
  for (const [k, h] of t)
    if (Object.keys(h.vips).length === 0) {
      t.delete(k);
      if (entered.has(k)) entered.delete(k);
      else left.set(k, h.ports);
    }
  for (const { after } of ports)
    for (const [k, slot] of after?.holdings ?? []) {
      const h = t.get(k);
      if (h) bump(h.ports, slot, 1, k);
    }
  return { before: table, after: sortedTable(t), entered, left };
}

function sortedTable(t: ReadonlyMap<string, VipKeyHolders>): VipKeyTable {
  return Object.fromEntries([...t].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The table from every VIP view and every port contribution (the full recompute). */
export function computeVipKeyTable(
  ports: readonly ReadonlyMap<string, string>[],
  vips: readonly VipView[],
): VipKeyTable {
  const t = new Map<string, MutableHolders>();
  for (const v of vips) {
    const k = vipKeyOf(v.mac, v.host);
    const h = t.get(k) ?? { ports: {}, vips: {} };
    h.vips[v.ip] = vipKeyAudience(v);
    t.set(k, h);
  }
  for (const holdings of ports)
    for (const [k, slot] of holdings) {
      const h = t.get(k);
      if (h) h.ports[slot] = (h.ports[slot] ?? 0) + 1;
    }
  return sortedTable(t);
}

export function sameVipKeyHolders(a: VipKeyHolders | undefined, b: VipKeyHolders | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Whether a key's host renders it the same under both member sets (its VTEP, or its absence). */
export function sameKeyMember(
  key: string,
  before: Readonly<Record<string, Member>>,
  after: Readonly<Record<string, Member>>,
): boolean {
  const { host } = splitVipKey(key);
  return before[host]?.tunnelIp === after[host]?.tunnelIp;
}
