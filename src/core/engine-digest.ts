import { type ContributionContext, computePortContribution, type PortContribution } from './contribution.js';
import type { NetworkIndex } from './desired.js';
import {
  addContributionDigest,
  addMemberChanges,
  addUnicastDigest,
  computeDigestChanged,
  computeDigestGroups,
  computeVipGroup,
  type DigestGroup,
  emptyDigestChange,
  type NetworkDigestChange,
  vipGroupKey,
  vipGroupsMoved,
  vipHasEntries,
} from './digest-change.js';
import type { Member } from './membership.js';
import type { Port, RouterView, Strategy } from './types.js';
import {
  computeVipKeyPlacement,
  computeVipKeyTable,
  type HoldingMove,
  planVipKeys,
  sameKeyMember,
  sameVipKeyHolders,
  splitVipKey,
  unicastHoldings,
  type VipKeyHolders,
  type VipKeyPlan,
  type VipKeyTable,
  vipKeyGroup,
  vipKeyOf,
} from './vip-keys.js';
import { computeVipContribution, type VipView } from './vip-view.js';

/** What `planChange` knows when it has planned: the change's ports and both sides of the record. */
export interface DigestPlanInput {
  readonly kind: 'ports' | 'routers' | 'strategies' | 'members' | 'vips' | 'snapshot';
  /** `fallback`: the full recompute ran, so the sums are rewritten whole. */
  readonly fallback: boolean;
  /** Source changes: the ports whose contribution may move (before as recorded, after). */
  readonly ports: readonly { readonly before: Port | undefined; readonly after: Port | undefined }[];
  /**
   * VIP changes: each changed VIP's view as recorded before and after, and the owner port after
   * as the claim or release read it (who holds the VIP's unicast entry when its key is new).
   */
  readonly vips: readonly {
    readonly before: VipView | null;
    readonly after: VipView | null;
    readonly ownerPort?: Port | undefined;
  }[];
  /** Every live port after the change, when the planner read them. */
  readonly networkPorts: readonly Port[] | undefined;
  /** Every VIP of the network after the change, read with `networkPorts`. */
  readonly networkVips: readonly VipView[] | undefined;
  readonly before: {
    /** The shared unicast entries as recorded (undefined: the network predates the table). */
    readonly vipKeys: VipKeyTable | undefined;
    readonly index: NetworkIndex;
    readonly context: ContributionContext;
    readonly routers: Readonly<Record<string, RouterView>>;
    readonly strategies: Readonly<Record<string, Strategy>>;
  };
  readonly after: {
    readonly index: NetworkIndex;
    readonly context: ContributionContext;
    readonly routers: Readonly<Record<string, RouterView>>;
    readonly strategies: Readonly<Record<string, Strategy>>;
  };
}

function locatedOn(contribution: PortContribution, hosts: ReadonlySet<string>): boolean {
  return contribution.entries.some((e) => hosts.has(e.host));
}

/** One contribution moving in or out of the sums: its group key, rendered against `members`. */
interface Move {
  readonly group: string;
  readonly contribution: PortContribution;
  readonly sign: 1 | -1;
  readonly members: Readonly<Record<string, Member>>;
  /** A VIP's: its unicast entry is the table's. */
  readonly vip: boolean;
}

/** The VIP groups of `views` against `members`, by group key (null: the VIP has no group). */
function vipGroupsOf(
  views: readonly VipView[],
  members: Readonly<Record<string, Member>>,
): Record<string, DigestGroup | null> {
  return Object.fromEntries(views.map((v) => [vipGroupKey(v.ip), computeVipGroup(v, members)]));
}

/** `sign` times the shared entry `key` as its holders place it (`computeVipKeyPlacement`). */
function addKey(
  change: NetworkDigestChange,
  key: string,
  holders: VipKeyHolders | undefined,
  routers: Readonly<Record<string, RouterView>>,
  members: Readonly<Record<string, Member>>,
  sign: 1 | -1,
): void {
  const placement = computeVipKeyPlacement(holders, routers);
  if (placement === null) return;
  const { mac, host } = splitVipKey(key);
  addUnicastDigest(change, placement === 'all' ? null : vipKeyGroup(key), mac, host, members, sign);
}

/** Port holdings counted by their contributions (outside the table): `all` or their router's group. */
function addHoldings(
  change: NetworkDigestChange,
  key: string,
  ports: Readonly<Record<string, number>>,
  members: Readonly<Record<string, Member>>,
  sign: 1 | -1,
): void {
  const { mac, host } = splitVipKey(key);
  for (const [slot, n] of Object.entries(ports))
    for (let i = 0; i < n; i++)
      addUnicastDigest(change, slot === 'all' ? null : slot, mac, host, members, sign);
}

/** The groups of the shared entries seen only under the master-binding view (`vipKeyGroup`). */
function keyGroupsOf(
  table: VipKeyTable | undefined,
  routers: Readonly<Record<string, RouterView>>,
  members: Readonly<Record<string, Member>>,
): Record<string, DigestGroup> {
  const out: Record<string, DigestGroup> = {};
  for (const [key, holders] of Object.entries(table ?? {})) {
    const placement = computeVipKeyPlacement(holders, routers);
    if (placement === null || placement === 'all') continue;
    out[vipKeyGroup(key)] = {
      hosting: [...placement],
      proxied: placement.some((h) => members[h]?.arpProxy === true),
    };
  }
  return out;
}

/** A port's unicast holdings under a context, with the group its grouped entries go to. */
function holdingsOf(port: Port, ctx: ContributionContext): HoldingMove {
  return { id: port.id, holdings: unicastHoldings(computePortContribution(port, ctx), port.deviceId) };
}

/**
 * The drift-audit sums a planned change moves (`NetworkDigestChange`), from the moved entries only:
 * - a source change (ports, routers, strategies): each changed port's contribution leaves with
 *   the members it was rendered against and comes back with the new ones, and hosts that joined
 *   or left move their flooding entry: O(changed ports);
 * - a VIP change: each changed VIP's contribution likewise, its `auto` group (`vip:<ip>`) set or
 *   removed: O(changed VIPs);
 * - a member change: the changed hosts' flooding entries and the entries located on them:
 *   O(entries of the changed hosts) over the ports and VIPs the planner read anyway, and every
 *   VIP group (a hosting member's ARP proxy may have moved);
 * - a snapshot moves nothing;
 * - the full recompute rewrites every sum from all the ports and VIPs it read (`reset`).
 * A unicast entry some owned VIP is at (`VipKeyTable`, src/core/vip-keys.ts) is counted once, from
 * the table, whoever holds it: a VIP's unicast entry always, a port's while the table has its key.
 * The table moves with the change (`planVipKeys`, which may fail the precondition) and is rebuilt
 * by the full recompute. A network whose state predates the table (`vipKeys` undefined) is summed
 * as before it, every copy counted, and is not comparable while it holds a VIP with entries
 * (`vipEntries`), until a full recompute builds its table.
 * `test/core/engine.property.test.ts` checks every agent's digest from the kept sums against the
 * digest of its fully recomputed view.
 */
export function planDigestChange(input: DigestPlanInput): NetworkDigestChange {
  const { before, after } = input;
  const change = emptyDigestChange(input.fallback ? 'reset' : 'add');
  const allVips = input.networkVips ?? [];
  const out: NetworkDigestChange = {
    ...change,
    groups: computeDigestGroups(after.routers, after.strategies, after.index.members),
    cleared: input.fallback
      ? [
          ...new Set([
            ...Object.keys(before.index.counts),
            ...Object.keys(before.index.members),
            ...Object.keys(after.index.counts),
          ]),
        ]
          .filter((h) => !after.index.members[h])
          .sort()
      : [],
  };
  // the table of shared entries: kept, or built by the full recompute; none before it existed
  const keys: VipKeyPlan | null = input.fallback
    ? {
        before: {},
        after: computeVipKeyTable(
          (input.networkPorts ?? []).map((p) => holdingsOf(p, after.context).holdings),
          allVips,
        ),
        entered: new Map(),
        left: new Map(),
      }
    : before.vipKeys === undefined
      ? // a state from before the table adopts an empty one when a member change finds no VIP: its
        // sums never counted a copy, and nothing is shared
        input.kind === 'members' && input.networkPorts && allVips.length === 0
        ? { before: {}, after: {}, entered: new Map(), left: new Map() }
        : null
      : input.kind === 'members' || input.kind === 'snapshot'
        ? { before: before.vipKeys, after: before.vipKeys, entered: new Map(), left: new Map() }
        : planVipKeys(
            before.vipKeys,
            input.ports.map((c) => ({
              before: c.before ? holdingsOf(c.before, before.context) : null,
              after: c.after ? holdingsOf(c.after, after.context) : null,
            })),
            input.vips.map((v) => ({
              ...v,
              ownerId: v.after?.portId,
              ownerHoldings: v.ownerPort ? holdingsOf(v.ownerPort, after.context).holdings : undefined,
            })),
          );
  if (keys) {
    out.vipKeys = keys.after;
    out.vipEntries = false;
    Object.assign(out.groups, keyGroupsOf(keys.after, after.routers, after.index.members));
  } else if (input.networkPorts) out.vipEntries = allVips.some(vipHasEntries);
  else if (input.vips.some((v) => vipHasEntries(v.after))) out.vipEntries = true;
  const groupsBefore = {
    ...computeDigestGroups(before.routers, before.strategies, before.index.members),
    ...(keys && !input.fallback ? keyGroupsOf(keys.before, before.routers, before.index.members) : {}),
  };
  if (input.kind === 'snapshot' && !input.fallback) {
    out.changed = computeDigestChanged(out, groupsBefore);
    return out;
  }
  const sharedIn = (table: VipKeyTable | undefined) => (mac: string, host: string) =>
    table !== undefined && vipKeyOf(mac, host) in table;
  // a VIP's unicast entry is always in the table (every owned VIP's key is), a port's while its key is
  const vipShared = keys ? () => true : () => false;
  const changed = addMemberChanges(out, before.index.members, after.index.members);
  if (input.fallback) {
    for (const p of input.networkPorts ?? [])
      addContributionDigest(
        out,
        p.deviceId,
        computePortContribution(p, after.context),
        after.index.members,
        1,
        sharedIn(keys?.after),
      );
    for (const v of allVips)
      addContributionDigest(
        out,
        vipGroupKey(v.ip),
        computeVipContribution(v),
        after.index.members,
        1,
        vipShared,
      );
    for (const [key, holders] of Object.entries(keys?.after ?? {}))
      addKey(out, key, holders, after.routers, after.index.members, 1);
    Object.assign(out.vipGroups, vipGroupsOf(allVips, after.index.members));
    out.changed = true;
    return out;
  }
  const moves: Move[] = [];
  const both = (group: string, b: PortContribution, a: PortContribution, vip: boolean) => {
    moves.push({ group, contribution: b, sign: -1, members: before.index.members, vip });
    moves.push({ group, contribution: a, sign: 1, members: after.index.members, vip });
  };
  let vipGroupsBefore: Record<string, DigestGroup | null> = {};
  if (input.kind === 'members') {
    const hosts = new Set(changed);
    for (const p of input.networkPorts ?? []) {
      const was = computePortContribution(p, before.context);
      if (locatedOn(was, hosts)) both(p.deviceId, was, computePortContribution(p, after.context), false);
    }
    for (const v of allVips) {
      const c = computeVipContribution(v);
      if (locatedOn(c, hosts)) both(vipGroupKey(v.ip), c, c, true);
    }
    vipGroupsBefore = vipGroupsOf(allVips, before.index.members);
    Object.assign(out.vipGroups, vipGroupsOf(allVips, after.index.members));
  } else {
    for (const c of input.ports) {
      if (c.before)
        moves.push({
          group: c.before.deviceId,
          contribution: computePortContribution(c.before, before.context),
          sign: -1,
          members: before.index.members,
          vip: false,
        });
      if (c.after)
        moves.push({
          group: c.after.deviceId,
          contribution: computePortContribution(c.after, after.context),
          sign: 1,
          members: after.index.members,
          vip: false,
        });
    }
    // a VIP change, or VIPs a port change unbinds (docs/vip.md, "A binding is tied to its port")
    for (const v of input.vips) {
      const key = vipGroupKey((v.after ?? v.before)?.ip ?? '');
      if (v.before)
        moves.push({
          group: key,
          contribution: computeVipContribution(v.before),
          sign: -1,
          members: before.index.members,
          vip: true,
        });
      if (v.after)
        moves.push({
          group: key,
          contribution: computeVipContribution(v.after),
          sign: 1,
          members: after.index.members,
          vip: true,
        });
      vipGroupsBefore[key] = computeVipGroup(v.before, before.index.members);
      out.vipGroups[key] = computeVipGroup(v.after, after.index.members);
    }
  }
  for (const m of moves)
    addContributionDigest(
      out,
      m.group,
      m.contribution,
      m.members,
      m.sign,
      m.vip ? vipShared : sharedIn(m.sign === 1 ? keys?.after : keys?.before),
    );
  if (keys) {
    for (const key of new Set([...Object.keys(keys.before), ...Object.keys(keys.after)])) {
      const [b, a] = [keys.before[key], keys.after[key]];
      if (sameVipKeyHolders(b, a) && sameKeyMember(key, before.index.members, after.index.members)) continue;
      addKey(out, key, b, before.routers, before.index.members, -1);
      addKey(out, key, a, after.routers, after.index.members, 1);
    }
    // ports outside the change whose entry joins the table were counted by their contribution
    for (const [key, ports] of keys.entered) addHoldings(out, key, ports, before.index.members, -1);
    for (const [key, ports] of keys.left) addHoldings(out, key, ports, after.index.members, 1);
  }
  out.changed = computeDigestChanged(out, groupsBefore) || vipGroupsMoved(out, vipGroupsBefore);
  return out;
}
