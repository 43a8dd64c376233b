import type { PortContribution } from './contribution.js';
import {
  addToDigest,
  combineDigests,
  type DataPlaneEntry,
  type DigestAccumulator,
  dataPlaneEntryKey,
  emptyDigestAccumulator,
  finishDigest,
  type ViewDigest,
} from './digest.js';
import type { Member } from './membership.js';
import type { HaView, Port, RouterView, Strategy } from './types.js';
import type { VipKeyTable } from './vip-keys.js';
import type { VipView } from './vip-view.js';

/**
 * What one commit does to a network's drift-audit sums (docs/drift-audit.md, "Controller
 * comparison and repair"), computed by the engine from the entries that moved, never from what is
 * stored: the store adds it to the network's and the hosts' sum items in the commit's own
 * transaction (DynamoDB `ADD`), without reading them.
 *
 * The slots are those of `digest-sums.ts`, with `auto` routers keyed by router id instead of
 * hosting set: every master-binding-only entry of one router is rendered with that router's
 * current hosting set (a schedule change replans all its ports), so the id names the group and
 * the network item records the group's hosting set and whether a hosting member runs an ARP proxy.
 */
export interface SplitSums {
  readonly fdb: DigestAccumulator;
  readonly arp: DigestAccumulator;
}

export interface HostDigestChange {
  readonly own: SplitSums;
  readonly routers: Map<string, SplitSums>;
  /** Set when the host's membership or HA view moved (or on a reset): what its audits compare under. */
  member?: { readonly present: boolean; readonly haView: HaView | null };
}

/** An `auto` HA router's group as the network's tables reflect it after the commit. */
export interface DigestGroup {
  readonly hosting: readonly string[];
  /** A hosting member runs an ARP proxy: every agent gets the master-binding view (`computeRouterView`). */
  readonly proxied: boolean;
}

export interface NetworkDigestChange {
  /** `add`: the sums are deltas; `reset`: they are the whole network's sums (the full recompute). */
  readonly mode: 'add' | 'reset';
  readonly all: SplitSums;
  readonly routers: Map<string, SplitSums>;
  readonly hosts: Map<string, HostDigestChange>;
  /** Every `auto` router after the commit (recomputed each commit, O(routers)). */
  readonly groups: Readonly<Record<string, DigestGroup>>;
  /**
   * The `auto` VIPs' groups (`vip:<ip>`, `vipGroupKey`) this commit sets (null: removes): the VIPs
   * it changed, or every VIP when it read them all (a member change, the full recompute).
   */
  readonly vipGroups: Record<string, DigestGroup | null>;
  /**
   * Whether the network holds a VIP with entries (`master-binding` or `auto`), when the commit
   * knows (undefined: unchanged). Such a VIP's unicast entry may be a second copy of one another
   * contribution holds (a plain VIP's MAC is its owner port's, two VIPs may share a virtual MAC),
   * which an agent's digest counts once (`computeViewDigest`) and the sums twice: the network's
   * audits then report "not comparable" rather than a false drift.
   */
  vipEntries?: boolean;
  /**
   * The network's shared unicast entries after the commit (`VipKeyTable`, kept on its state item);
   * undefined for a network whose state predates the table, until a full recompute builds it.
   */
  vipKeys?: VipKeyTable;
  /** On a reset: hosts whose items must be emptied (present before, absent now). */
  readonly cleared: readonly string[];
  /**
   * Some agent's desired view may have changed: a sum moved, a membership or HA view moved, or a
   * group's hosting or proxy flag moved. The network record then notes the version (`cv`): an
   * agent at that version or later must hold the current desired view.
   */
  changed?: boolean;
}

function emptySplit(): SplitSums {
  return { fdb: emptyDigestAccumulator(), arp: emptyDigestAccumulator() };
}

function slotOf<K>(map: Map<K, SplitSums>, key: K): SplitSums {
  let s = map.get(key);
  if (!s) map.set(key, (s = emptySplit()));
  return s;
}

function hostOf(change: NetworkDigestChange, host: string): HostDigestChange {
  let h = change.hosts.get(host);
  if (!h) change.hosts.set(host, (h = { own: emptySplit(), routers: new Map() }));
  return h;
}

function addEntry(s: SplitSums, e: DataPlaneEntry, sign: 1 | -1): void {
  addToDigest(e.kind === 'arp' ? s.arp : s.fdb, e, sign);
}

export function emptyDigestChange(mode: 'add' | 'reset'): NetworkDigestChange {
  return {
    mode,
    all: emptySplit(),
    routers: new Map(),
    hosts: new Map(),
    groups: {},
    vipGroups: {},
    cleared: [],
  };
}

/** A member's flooding entry joins (`1`) or leaves (`-1`) every other member's view. */
export function addMemberFlood(
  change: NetworkDigestChange,
  host: string,
  member: Member,
  sign: 1 | -1,
): void {
  const e: DataPlaneEntry = { kind: 'flood', vtep: member.tunnelIp };
  addEntry(change.all, e, sign);
  addEntry(hostOf(change, host).own, e, sign);
}

/**
 * Adds or removes one contribution rendered against `members`, as `addContributionDigest` does:
 * one unicast FDB entry per MAC and VTEP, one ARP entry per IP, nothing located on a non-member.
 * A master-binding-only entry goes to the slot of `group` (an `auto` router's id, `vip:<ip>`).
 */
export function addContributionDigest(
  change: NetworkDigestChange,
  group: string,
  contribution: PortContribution,
  members: Readonly<Record<string, Member>>,
  sign: 1 | -1,
  shared: (mac: string, host: string) => boolean = () => false,
): void {
  const seen = new Set<string>();
  for (const c of contribution.entries) {
    const at = members[c.host];
    if (!at) continue;
    const [mac, ip] = c.entry;
    const h = hostOf(change, c.host);
    const grouped = c.audience.kind !== 'all';
    const slot = grouped ? slotOf(change.routers, group) : change.all;
    const own = grouped ? slotOf(h.routers, group) : h.own;
    const entries: DataPlaneEntry[] = [{ kind: 'arp', ip, mac }];
    // a shared unicast entry is counted once, from the network's table of them (vip-keys.ts)
    if (!shared(mac, c.host)) entries.unshift({ kind: 'unicast', mac, vtep: at.tunnelIp });
    for (const e of entries) {
      const key = dataPlaneEntryKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      addEntry(slot, e, sign);
      addEntry(own, e, sign);
    }
  }
}

/**
 * One unicast FDB entry `mac` → `host`'s VTEP, seen by all (`group` null) or in `group`'s slot;
 * nothing when `host` is not a member.
 */
export function addUnicastDigest(
  change: NetworkDigestChange,
  group: string | null,
  mac: string,
  host: string,
  members: Readonly<Record<string, Member>>,
  sign: 1 | -1,
): void {
  const at = members[host];
  if (!at) return;
  const h = hostOf(change, host);
  const e: DataPlaneEntry = { kind: 'unicast', mac, vtep: at.tunnelIp };
  addEntry(group === null ? change.all : slotOf(change.routers, group), e, sign);
  addEntry(group === null ? h.own : slotOf(h.routers, group), e, sign);
}

/** A port's contribution: its master-binding-only entries go to its router's group (`deviceId`). */
export function addPortDigest(
  change: NetworkDigestChange,
  port: Port,
  contribution: PortContribution,
  members: Readonly<Record<string, Member>>,
  sign: 1 | -1,
): void {
  addContributionDigest(change, port.deviceId, contribution, members, sign);
}

/** The group (and slot) key of an `auto` VIP; router ids are UUIDs, so they never collide. */
export const vipGroupKey = (ip: string): string => `vip:${ip}`;

/** An `auto` VIP's group: its announcing hosts, as an `auto` router's hosting nodes; null otherwise. */
export function computeVipGroup(
  view: VipView | null,
  members: Readonly<Record<string, Member>>,
): DigestGroup | null {
  if (view?.strategy !== 'auto') return null;
  return { hosting: [...view.hosting], proxied: view.hosting.some((h) => members[h]?.arpProxy === true) };
}

/** Whether a VIP puts entries in its network's tables (`computeVipContribution`). */
export const vipHasEntries = (view: VipView | null): boolean => !!view && view.strategy !== 'tunnel';

function sameMember(a: Member | undefined, b: Member | undefined): boolean {
  return a?.tunnelIp === b?.tunnelIp && a?.haView === b?.haView && a?.arpProxy === b?.arpProxy;
}

/**
 * Records the membership of every host whose member moved between `before` and `after` and
 * moves its flooding entry; on a reset, of every member after and every host cleared.
 */
export function addMemberChanges(
  change: NetworkDigestChange,
  before: Readonly<Record<string, Member>>,
  after: Readonly<Record<string, Member>>,
): string[] {
  const hosts = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = hosts.filter((h) => change.mode === 'reset' || !sameMember(before[h], after[h]));
  for (const h of changed) {
    const was = before[h];
    const now = after[h];
    if (change.mode === 'add' && was) addMemberFlood(change, h, was, -1);
    if (now) addMemberFlood(change, h, now, 1);
    hostOf(change, h).member = { present: !!now, haView: now?.haView ?? null };
  }
  return changed;
}

/** The groups after the commit: every `auto` router the tables reflect, with its proxy flag. */
export function computeDigestGroups(
  routers: Readonly<Record<string, RouterView>>,
  strategies: Readonly<Record<string, Strategy>>,
  members: Readonly<Record<string, Member>>,
): Record<string, DigestGroup> {
  const out: Record<string, DigestGroup> = {};
  for (const [id, view] of Object.entries(routers)) {
    if (strategies[id] !== 'auto') continue;
    out[id] = { hosting: [...view.hosts], proxied: view.hosts.some((h) => members[h]?.arpProxy === true) };
  }
  return out;
}

/**
 * The sums as stored: each 64-bit hash sum kept as four 16-bit limbs that are summed separately
 * and never reduced, so every stored value is an exact JavaScript number (a limb grows by less
 * than 2^16 per commit: 2^37 commits before 2^53) and `ADD` needs no read. Reduced mod 2^64 only
 * when compared (`sumFromLimbs`).
 */
export const SLOT_FIELDS = ['f0', 'f1', 'f2', 'f3', 'a0', 'a1', 'a2', 'a3', 'nf', 'nu', 'na'] as const;
export type SlotField = (typeof SLOT_FIELDS)[number];
export type StoredSlot = Readonly<Record<SlotField, number>>;

function limbsOf(sum: bigint): [number, number, number, number] {
  const v = BigInt.asUintN(64, sum);
  return [0, 1, 2, 3].map((i) => Number((v >> BigInt(16 * i)) & 0xffffn)) as [number, number, number, number];
}

export function sumFromLimbs(limbs: readonly number[]): bigint {
  let v = 0n;
  limbs.forEach((l, i) => {
    v += BigInt(l) << BigInt(16 * i);
  });
  return BigInt.asUintN(64, v);
}

/** A slot's numbers: what a change adds to (or, on a reset, sets in) the stored slot. */
export function storedSlotOf(s: SplitSums): StoredSlot {
  const [f0, f1, f2, f3] = limbsOf(s.fdb.sum);
  const [a0, a1, a2, a3] = limbsOf(s.arp.sum);
  return {
    f0,
    f1,
    f2,
    f3,
    a0,
    a1,
    a2,
    a3,
    nf: s.fdb.counts.flood,
    nu: s.fdb.counts.unicast,
    na: s.arp.counts.arp,
  };
}

export function splitOfStored(s: Partial<StoredSlot> | undefined): SplitSums {
  const n = (f: SlotField) => s?.[f] ?? 0;
  return {
    fdb: {
      counts: { flood: n('nf'), unicast: n('nu'), arp: 0 },
      sum: sumFromLimbs([n('f0'), n('f1'), n('f2'), n('f3')]),
    },
    arp: {
      counts: { flood: 0, unicast: 0, arp: n('na') },
      sum: sumFromLimbs([n('a0'), n('a1'), n('a2'), n('a3')]),
    },
  };
}

export function isZeroSlot(s: StoredSlot): boolean {
  return SLOT_FIELDS.every((f) => s[f] === 0);
}

function isZeroSplit(s: SplitSums): boolean {
  return isZeroSlot(storedSlotOf(s));
}

/** Whether the change may move some agent's desired view (`changed`); `before`: the groups before. */
export function computeDigestChanged(
  change: NetworkDigestChange,
  before: Readonly<Record<string, DigestGroup>>,
): boolean {
  if (change.mode === 'reset') return true;
  if (!isZeroSplit(change.all) || [...change.routers.values()].some((s) => !isZeroSplit(s))) return true;
  for (const h of change.hosts.values())
    if (h.member || !isZeroSplit(h.own) || [...h.routers.values()].some((s) => !isZeroSplit(s))) return true;
  return JSON.stringify(before) !== JSON.stringify(change.groups);
}

/** Whether the VIP groups the change sets differ from the ones before (`before`: by group key). */
export function vipGroupsMoved(
  change: NetworkDigestChange,
  before: Readonly<Record<string, DigestGroup | null>>,
): boolean {
  return Object.entries(change.vipGroups).some(
    ([k, g]) => JSON.stringify(g) !== JSON.stringify(before[k] ?? null),
  );
}

/** The network's sum item as read: the version it was last written at and its slots. */
export interface StoredNetworkDigest {
  readonly version: number;
  /** The version of the last commit that may have changed some agent's desired view. */
  readonly changedAt: number;
  /**
   * False when the sums did not start with the network (written before they existed), or while the
   * network holds a VIP with entries (`vipEntries`): not comparable.
   */
  readonly complete: boolean;
  readonly all: SplitSums;
  readonly routers: ReadonlyMap<string, SplitSums>;
  readonly groups: Readonly<Record<string, DigestGroup>>;
}

/** One host's sum item for a network as read. */
export interface StoredHostDigest {
  /**
   * The network version of the commit that last wrote the record (0: written before records
   * carried it). Newer than the network record's: the two were read across a commit (a torn read).
   */
  readonly version: number;
  readonly present: boolean;
  readonly haView: HaView | null;
  readonly own: SplitSums;
  readonly routers: ReadonlyMap<string, SplitSums>;
}

function addPart(out: DigestAccumulator, part: SplitSums, own: SplitSums | undefined, holdsArp: boolean) {
  combineDigests(out, part.fdb);
  if (own) combineDigests(out, own.fdb, -1);
  if (!holdsArp) return;
  combineDigests(out, part.arp);
  if (own) combineDigests(out, own.arp, -1);
}

/**
 * The digest `host` should report, from the two stored items alone (O(groups)): the network's sums
 * minus the host's own, plus each `auto` router's group when the host gets the master-binding view
 * of it (its own view is master-binding, or a hosting member runs an ARP proxy). Null when the
 * host is not a member.
 */
export function computeStoredDesiredDigest(
  net: StoredNetworkDigest,
  host: StoredHostDigest | undefined,
  holdsArp: boolean,
): ViewDigest | null {
  if (!host?.present || !host.haView) return null;
  const out = emptyDigestAccumulator();
  addPart(out, net.all, host.own, holdsArp);
  for (const [id, g] of Object.entries(net.groups)) {
    if (host.haView !== 'master-binding' && !g.proxied) continue;
    const sums = net.routers.get(id);
    if (sums) addPart(out, sums, host.routers.get(id), holdsArp);
  }
  return finishDigest(out);
}
