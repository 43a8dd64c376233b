import { type ContributionContext, computePortContribution, type PortContribution } from './contribution.js';
import type { NetworkIndex } from './desired.js';
import {
  addContributionDigest,
  addMemberChanges,
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
import { computeVipContribution, type VipView } from './vip-view.js';

/** What `planChange` knows when it has planned: the change's ports and both sides of the record. */
export interface DigestPlanInput {
  readonly kind: 'ports' | 'routers' | 'strategies' | 'members' | 'vips' | 'snapshot';
  /** `fallback`: the full recompute ran, so the sums are rewritten whole. */
  readonly fallback: boolean;
  /** Source changes: the ports whose contribution may move (before as recorded, after). */
  readonly ports: readonly { readonly before: Port | undefined; readonly after: Port | undefined }[];
  /** VIP changes: each changed VIP's view as recorded before and after. */
  readonly vips: readonly { readonly before: VipView | null; readonly after: VipView | null }[];
  /** Every live port after the change, when the planner read them. */
  readonly networkPorts: readonly Port[] | undefined;
  /** Every VIP of the network after the change, read with `networkPorts`. */
  readonly networkVips: readonly VipView[] | undefined;
  readonly before: {
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
}

/** The VIP groups of `views` against `members`, by group key (null: the VIP has no group). */
function vipGroupsOf(
  views: readonly VipView[],
  members: Readonly<Record<string, Member>>,
): Record<string, DigestGroup | null> {
  return Object.fromEntries(views.map((v) => [vipGroupKey(v.ip), computeVipGroup(v, members)]));
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
 * Whether the network holds a VIP with entries (`vipEntries`, which makes its audits not
 * comparable) is set by a VIP change that adds one, and recomputed by every change that read
 * all the VIPs.
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
  if (input.networkPorts) out.vipEntries = allVips.some(vipHasEntries);
  else if (input.vips.some((v) => vipHasEntries(v.after))) out.vipEntries = true;
  const groupsBefore = computeDigestGroups(before.routers, before.strategies, before.index.members);
  if (input.kind === 'snapshot' && !input.fallback) {
    out.changed = computeDigestChanged(out, groupsBefore);
    return out;
  }
  const changed = addMemberChanges(out, before.index.members, after.index.members);
  if (input.fallback) {
    for (const p of input.networkPorts ?? [])
      addContributionDigest(
        out,
        p.deviceId,
        computePortContribution(p, after.context),
        after.index.members,
        1,
      );
    for (const v of allVips)
      addContributionDigest(out, vipGroupKey(v.ip), computeVipContribution(v), after.index.members, 1);
    Object.assign(out.vipGroups, vipGroupsOf(allVips, after.index.members));
    out.changed = true;
    return out;
  }
  const moves: Move[] = [];
  const both = (group: string, b: PortContribution, a: PortContribution) => {
    moves.push({ group, contribution: b, sign: -1, members: before.index.members });
    moves.push({ group, contribution: a, sign: 1, members: after.index.members });
  };
  let vipGroupsBefore: Record<string, DigestGroup | null> = {};
  if (input.kind === 'members') {
    const hosts = new Set(changed);
    for (const p of input.networkPorts ?? []) {
      const was = computePortContribution(p, before.context);
      if (locatedOn(was, hosts)) both(p.deviceId, was, computePortContribution(p, after.context));
    }
    for (const v of allVips) {
      const c = computeVipContribution(v);
      if (locatedOn(c, hosts)) both(vipGroupKey(v.ip), c, c);
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
        });
      if (c.after)
        moves.push({
          group: c.after.deviceId,
          contribution: computePortContribution(c.after, after.context),
          sign: 1,
          members: after.index.members,
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
        });
      if (v.after)
        moves.push({
          group: key,
          contribution: computeVipContribution(v.after),
          sign: 1,
          members: after.index.members,
        });
      vipGroupsBefore[key] = computeVipGroup(v.before, before.index.members);
      out.vipGroups[key] = computeVipGroup(v.after, after.index.members);
    }
  }
  for (const m of moves) addContributionDigest(out, m.group, m.contribution, m.members, m.sign);
  out.changed = computeDigestChanged(out, groupsBefore) || vipGroupsMoved(out, vipGroupsBefore);
  return out;
}
