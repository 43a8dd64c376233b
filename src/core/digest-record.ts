import {
  type DigestGroup,
  isZeroSlot,
  type NetworkDigestChange,
  SLOT_FIELDS,
  type SplitSums,
  type StoredHostDigest,
  type StoredNetworkDigest,
  type StoredSlot,
  splitOfStored,
  storedSlotOf,
} from './digest-change.js';
import type { HaView } from './types.js';

/**
 * The drift-audit sums as records of their own, one per network and one per (network, host), and
 * the writes a commit makes to them (docs/drift-audit.md). A write either adds numbers to
 * attributes (DynamoDB `ADD`, no read) and sets a few, or replaces the record (the full
 * recompute). Attribute names: `all_<field>`, `own_<field>`, `r_<router>_<field>` (slot fields
 * `SLOT_FIELDS`), `v` (version), `cv` (version of the last change of some view), `c` (complete), `groups`
 * (the `auto` routers'), `g_vip:<ip>` (an `auto` VIP's group; null: none), `vd` (the network holds a
 * VIP with entries: not comparable), `present`, `haView`; a host record's `v` is the version of
 * the commit that last wrote it, so an audit sees a read torn across two commits.
 */
export type DigestRecord = Readonly<Record<string, unknown>>;

export interface DigestWrite {
  /** `null`: the network record; otherwise the host whose record it is. */
  readonly host: string | null;
  readonly mode: 'add' | 'put';
  /** Numbers added (`add`) or the record's numbers (`put`). */
  readonly add: Readonly<Record<string, number>>;
  readonly set: Readonly<Record<string, unknown>>;
  /** `add` only: attributes set only when absent. */
  readonly setIfAbsent: Readonly<Record<string, unknown>>;
}

function slotAttrs(prefix: string, s: SplitSums, out: Record<string, number>, keepZero: boolean): void {
  const slot = storedSlotOf(s);
  for (const f of SLOT_FIELDS) if (keepZero || slot[f] !== 0) out[`${prefix}_${f}`] = slot[f];
}

const routerPrefix = (id: string) => `r_${id}`;
const VIP_GROUP_PREFIX = 'g_';

/**
 * The writes of one commit: the network record always (its version moves with the state), and
 * the record of every host whose own sums or membership moved. `isNew`: the network's state is
 * being created, so the sums start complete.
 */
export function computeDigestWrites(
  change: NetworkDigestChange,
  version: number,
  isNew: boolean,
): DigestWrite[] {
  const put = change.mode === 'reset';
  const mode = put ? 'put' : 'add';
  const netAdd: Record<string, number> = {};
  slotAttrs('all', change.all, netAdd, put);
  for (const [id, s] of change.routers) slotAttrs(routerPrefix(id), s, netAdd, false);
  const complete = put || isNew;
  const vipGroups = Object.entries(change.vipGroups)
    .filter(([, g]) => !put || g !== null)
    .map(([k, g]) => [`${VIP_GROUP_PREFIX}${k}`, g]);
  const writes: DigestWrite[] = [
    {
      host: null,
      mode,
      add: netAdd,
      set: {
        v: version,
        groups: change.groups,
        ...Object.fromEntries(vipGroups),
        ...(change.vipEntries !== undefined ? { vd: change.vipEntries } : {}),
        ...(complete ? { c: true } : {}),
        ...(change.changed || complete ? { cv: version } : {}),
      },
      setIfAbsent: complete ? {} : { c: false },
    },
  ];
  for (const [host, h] of [...change.hosts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const add: Record<string, number> = {};
    slotAttrs('own', h.own, add, put);
    for (const [id, s] of h.routers) slotAttrs(routerPrefix(id), s, add, false);
    if (!put && Object.keys(add).length === 0 && !h.member) continue;
    const set = { v: version, ...(h.member ? { present: h.member.present, haView: h.member.haView } : {}) };
    writes.push({ host, mode, add, set, setIfAbsent: {} });
  }
  // a member that left is in `hosts` too (present: false); one write per record, or the
  // transaction would touch its item twice and DynamoDB would refuse it
  for (const host of change.cleared.filter((h) => !change.hosts.has(h)))
    writes.push({
      host,
      mode: 'put',
      add: {},
      set: { v: version, present: false, haView: null },
      setIfAbsent: {},
    });
  if (put && writes.length - 1 > MAX_RESET_HOST_WRITES) {
    // too many hosts to rewrite in the commit's transaction: the network's sums stop being
    // comparable (its audits report `unverifiable`) rather than the commit failing
    return [{ host: null, mode: 'put', add: {}, set: { v: version, groups: {}, c: false }, setIfAbsent: {} }];
  }
  return writes;
}

/**
 * The most host records a full recompute rewrites in its commit (a DynamoDB transaction holds 100
 * items, and the commit has its own); past it the network's sums are marked not comparable.
 */
export const MAX_RESET_HOST_WRITES = 32;

/** What a store does with one write (the in-memory store; DynamoDB does it with `ADD` / `Put`). */
export function applyDigestWrite(before: DigestRecord | undefined, w: DigestWrite): DigestRecord {
  if (w.mode === 'put') return { ...w.add, ...w.set };
  const out: Record<string, unknown> = { ...(before ?? {}) };
  for (const [k, v] of Object.entries(w.add)) out[k] = ((out[k] as number | undefined) ?? 0) + v;
  for (const [k, v] of Object.entries(w.setIfAbsent)) if (!(k in out)) out[k] = v;
  return { ...out, ...w.set };
}

function slotOfRecord(r: DigestRecord, prefix: string): SplitSums {
  const slot: Partial<Record<(typeof SLOT_FIELDS)[number], number>> = {};
  for (const f of SLOT_FIELDS) {
    const v = r[`${prefix}_${f}`];
    if (typeof v === 'number') slot[f] = v;
  }
  return splitOfStored(slot);
}

function routerSlots(r: DigestRecord): Map<string, SplitSums> {
  const ids = new Set<string>();
  for (const k of Object.keys(r)) {
    const m = /^r_(.*)_(?:f[0-3]|a[0-3]|n[fua])$/.exec(k);
    if (m?.[1] !== undefined) ids.add(m[1]);
  }
  const out = new Map<string, SplitSums>();
  for (const id of ids) {
    const s = slotOfRecord(r, routerPrefix(id));
    if (!isZeroSlot(storedSlotOf(s))) out.set(id, s);
  }
  return out;
}

function vipGroupsOf(r: DigestRecord): Record<string, DigestGroup> {
  const out: Record<string, DigestGroup> = {};
  for (const [k, v] of Object.entries(r))
    if (k.startsWith(VIP_GROUP_PREFIX) && v) out[k.slice(VIP_GROUP_PREFIX.length)] = v as DigestGroup;
  return out;
}

export function parseNetworkDigestRecord(r: DigestRecord): StoredNetworkDigest {
  return {
    version: typeof r.v === 'number' ? r.v : 0,
    changedAt: typeof r.cv === 'number' ? r.cv : 0,
    complete: r.c === true && r.vd !== true,
    all: slotOfRecord(r, 'all'),
    routers: routerSlots(r),
    groups: { ...((r.groups ?? {}) as Record<string, DigestGroup>), ...vipGroupsOf(r) },
  };
}

export function parseHostDigestRecord(r: DigestRecord): StoredHostDigest {
  return {
    version: typeof r.v === 'number' ? r.v : 0,
    present: r.present === true,
    haView: (r.haView ?? null) as HaView | null,
    own: slotOfRecord(r, 'own'),
    routers: routerSlots(r),
  };
}

export type { StoredSlot };
