import type { PortContribution } from './contribution.js';
import { computeContributions, computeIndex } from './desired.js';
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
import { computeRouterView, type Member } from './membership.js';
import type { NetworkFacts } from './types.js';

/**
 * The sums the controller keeps to know every agent's desired digest without building its view
 * (docs/drift-audit.md). Each slot is split in two, because ARP entries count only for agents that
 * hold them: `fdb` (flooding and unicast FDB entries) and `arp`.
 */
export interface SplitDigest {
  readonly fdb: DigestAccumulator;
  readonly arp: DigestAccumulator;
}

export interface HostDigestSums {
  /** The host's own flooding entry and the entries located on it that every agent sees. */
  readonly own: SplitDigest;
  /** Its entries seen only under the master-binding view, per hosting set (`groupKey`). */
  readonly ownByGroup: Map<string, SplitDigest>;
}

export interface NetworkDigestSums {
  /** Every member's flooding entry and every entry, located on a member, that every agent sees. */
  readonly all: SplitDigest;
  /** Entries of `auto` HA routers, seen only under the master-binding view, per hosting set. */
  readonly byGroup: Map<string, { readonly hosting: readonly string[]; readonly sums: SplitDigest }>;
  readonly hosts: Map<string, HostDigestSums>;
}

function emptySplit(): SplitDigest {
  return { fdb: emptyDigestAccumulator(), arp: emptyDigestAccumulator() };
}

function addSplit(s: SplitDigest, e: DataPlaneEntry, sign: 1 | -1): void {
  addToDigest(e.kind === 'arp' ? s.arp : s.fdb, e, sign);
}

function hostSums(sums: NetworkDigestSums, host: string): HostDigestSums {
  let h = sums.hosts.get(host);
  if (!h) sums.hosts.set(host, (h = { own: emptySplit(), ownByGroup: new Map() }));
  return h;
}

function groupKey(hosting: readonly string[]): string {
  return JSON.stringify(hosting);
}

export function emptyNetworkDigestSums(): NetworkDigestSums {
  return { all: emptySplit(), byGroup: new Map(), hosts: new Map() };
}

/** A member joins (`1`) or leaves (`-1`): its flooding entry, which every other member holds. */
export function addMemberDigest(sums: NetworkDigestSums, host: string, member: Member, sign: 1 | -1): void {
  const e: DataPlaneEntry = { kind: 'flood', vtep: member.tunnelIp };
  addSplit(sums.all, e, sign);
  addSplit(hostSums(sums, host).own, e, sign);
}

/**
 * Adds (`1`) or removes (`-1`) what one port contributes, with the members it was rendered
 * against: one unicast FDB entry per MAC and VTEP, one ARP entry per IP. Entries located on a host
 * that is not a member are in no view, as in `addVisibleEntries`. Within a port a MAC with several
 * IPs is one FDB entry; across ports every entry counts (a multiset), which equals the set the
 * agent holds because Neutron keeps MACs and fixed IPs unique per network (docs/drift-audit.md).
 */
export function addContributionDigest(
  sums: NetworkDigestSums,
  contribution: PortContribution,
  members: Readonly<Record<string, Member>>,
  sign: 1 | -1,
): void {
  const seen = new Set<string>();
  for (const c of contribution.entries) {
    const at = members[c.host];
    if (!at) continue;
    const [mac, ip] = c.entry;
    let slot: SplitDigest;
    let own: SplitDigest;
    const h = hostSums(sums, c.host);
    if (c.audience.kind === 'all') {
      slot = sums.all;
      own = h.own;
    } else {
      const key = groupKey(c.audience.hosting);
      let g = sums.byGroup.get(key);
      if (!g) sums.byGroup.set(key, (g = { hosting: c.audience.hosting, sums: emptySplit() }));
      slot = g.sums;
      own = h.ownByGroup.get(key) ?? emptySplit();
      h.ownByGroup.set(key, own);
    }
    const unicast: DataPlaneEntry = { kind: 'unicast', mac, vtep: at.tunnelIp };
    for (const e of [unicast, { kind: 'arp', ip, mac } as const]) {
      const key = dataPlaneEntryKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      addSplit(slot, e, sign);
      addSplit(own, e, sign);
    }
  }
}

/** The sums of a whole network, built from its facts (what an incremental path must equal). */
export function computeNetworkDigestSums(facts: NetworkFacts): NetworkDigestSums {
  const contributions = computeContributions(facts);
  const { members } = computeIndex(facts, contributions);
  const sums = emptyNetworkDigestSums();
  for (const [host, m] of Object.entries(members)) addMemberDigest(sums, host, m, 1);
  for (const c of contributions) addContributionDigest(sums, c, members, 1);
  return sums;
}

function addPart(out: DigestAccumulator, part: SplitDigest, own: SplitDigest | undefined, holdsArp: boolean) {
  combineDigests(out, part.fdb);
  if (own) combineDigests(out, own.fdb, -1);
  if (!holdsArp) return;
  combineDigests(out, part.arp);
  if (own) combineDigests(out, own.arp, -1);
}

/**
 * The digest `host` should report: the network's sums minus the entries located on the host
 * itself, plus each `auto` router's master-binding-only entries when the host gets that view of it
 * (`computeRouterView`). O(routers with such entries), whatever the number of ports and hosts.
 */
export function computeDesiredDigest(
  sums: NetworkDigestSums,
  host: string,
  members: Readonly<Record<string, Member>>,
  holdsArp: boolean,
): ViewDigest | null {
  const self = members[host];
  if (!self) return null;
  const mine = sums.hosts.get(host);
  const out = emptyDigestAccumulator();
  addPart(out, sums.all, mine?.own, holdsArp);
  for (const [key, g] of sums.byGroup) {
    if (computeRouterView(self, g.hosting, members) !== 'master-binding') continue;
    addPart(out, g.sums, mine?.ownByGroup.get(key), holdsArp);
  }
  return finishDigest(out);
}
