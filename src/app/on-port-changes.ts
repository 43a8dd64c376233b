import { parsePrefix, prefixContains } from '../core/cidr.js';
import { InvalidInputError, isInvalidInputError } from '../core/errors.js';
import { routerDependedOn } from '../core/owners.js';
import {
  checkIpUnique,
  checkMacUnique,
  type PortRecord,
  recordPort,
  recordPortDelete,
} from '../core/transitions.js';
import type { Network, Port } from '../core/types.js';
import { newlyHeldIps, vipsAtRisk } from '../core/vip-binding.js';
import {
  type AapOverlap,
  findPairIndexOverlaps,
  type HeldIn,
  heldIps,
  heldKey,
  newPrefixPairs,
  type PairHolderWrite,
  type PrefixPairWrite,
  pairIndexReads,
  pairIndexWrites,
  storedHeldIn,
} from './aap-index.js';
import { emptyNetworkState, type PortChange } from './network-planner.js';
import { checkEventNetwork, ipOwnerKey } from './on-port-change.js';
import { type Commit, type FactStore, macReadKey, type NetworkState, vipReadKey } from './ports.js';
import {
  type Deps,
  type Draft,
  type EventResult,
  guardNetwork,
  livePort,
  routerIdsOf,
  runWithRetry,
  STALE_RESULT,
} from './reconcile.js';
import { catchUpRouters, planNetworkChanges } from './router-catch-up.js';
import { heldVipReads, planVipUnbinding } from './vip-unbinding.js';

/** A `port.upsert` (with its network) or a `port.delete` of one network, as `dispatchEvent` passes it. */
export interface PortChangeEvent {
  readonly network: Network | null;
  readonly next: Port | { id: string; networkId: string; revision: number; deleted: true };
}

/** What became of one event of a coalesced group: its result, or the terminal error that rejects it. */
export type PortEventOutcome =
  | { readonly kind: 'result'; readonly result: EventResult }
  | { readonly kind: 'rejected'; readonly error: InvalidInputError };

/**
 * Items a coalesced commit may name, below DynamoDB's 100 per TransactWriteItems
 * (src/adapters/aws/dynamo-codec.ts), with room for what the budget does not count: the network
 * state, the outbox record, the flags check and the agent checks of an HA router's hosts.
 */
export const COALESCED_ITEM_BUDGET = 80;

/** The items an applied event adds to its commit: written keys and read-and-checked facts. */
function itemsOf(before: Port | undefined, after: Port | undefined, id: string, owners: readonly string[]) {
  const keys = [`port|${id}`, ...owners.map((k) => `owner|${k}`)];
  for (const p of [before, after]) {
    if (!p) continue;
    const router = routerDependedOn(p);
    if (router !== null) keys.push(`router-port|${router}|${id}`, `router|${router}`);
    for (const h of [p.host, ...p.dvrHosts]) if (h) keys.push(`agent|${h}`);
  }
  return keys;
}

/** The facts of one network as the earlier events of the chunk leave them. */
interface Overlay {
  state: NetworkState | undefined;
  readonly ports: Map<string, PortRecord | undefined>;
  /** Owner key (MAC or `ip:<address>`) -> owning port, as recorded; the store's value when untouched. */
  readonly owners: Map<string, string | undefined>;
  /** The owners as the store holds them: a key may not change hands between two ports in one commit. */
  readonly stored: ReadonlyMap<string, string | undefined>;
  /** The pair holders per address (src/app/aap-index.ts), as the earlier events leave them. */
  readonly holders: Map<string, Set<string>>;
  /** The network's prefix pairs, `cidr|port` -> the pair, as the earlier events leave them. */
  readonly prefixes: Map<string, { readonly cidr: string; readonly portId: string }>;
  /**
   * Per prefix some event of the group adds: a fixed IP inside it held by a port *outside* the
   * group, as the store records it (`storedHeldIn`); the group's own ports are checked on `ports`.
   */
  readonly heldOutside: ReadonlyMap<string, HeldIn | undefined>;
}

/** A fixed IP inside `cidr` that a bound port of the group other than `self` holds, as the overlay has it. */
function heldInGroup(ov: Overlay, networkId: string, self: string, cidr: string): HeldIn | undefined {
  const prefix = parsePrefix(cidr);
  if (!prefix) return undefined;
  for (const [id, record] of ov.ports) {
    const port = livePort(record);
    if (id === self || !port || port.networkId !== networkId) continue;
    const ip = heldIps(port).find((x) => prefixContains(prefix, x));
    if (ip !== undefined) return { ip, owner: id };
  }
  return undefined;
}

type Step =
  | { kind: 'stale' }
  | { kind: 'cut' }
  | {
      kind: 'applied';
      state: NetworkState;
      value: PortRecord;
      before: Port | undefined;
      after: Port | undefined;
      owners: Map<string, string | undefined>;
      holders: readonly PairHolderWrite[];
      prefixes: readonly PrefixPairWrite[];
      overlaps: readonly AapOverlap[];
    };

/**
 * Records one event against the overlay, as `onPortChange` does against the store. `cut` when it
 * would hand an owner key from one port to another: the store's guarded MAC write cannot express
 * that, so the event starts the next commit, where the release is the stored state.
 */
function stepEvent(ov: Overlay, { network, next }: PortChangeEvent): Step {
  const stateBefore = ov.state;
  checkEventNetwork(stateBefore, network, next.networkId);
  const current = ov.ports.get(next.id);
  const recorded =
    'deleted' in next
      ? recordPortDelete(current, next.id, next.networkId, next.revision)
      : recordPort(current, next);
  if (recorded.kind === 'stale') return { kind: 'stale' };
  const before = livePort(current);
  const after = livePort(recorded.value);
  const owners = new Map<string, string | undefined>();
  if (before) for (const k of [before.mac, ...before.ips.map(ipOwnerKey)]) owners.set(k, undefined);
  if (after) {
    checkMacUnique(after, ov.owners.get(after.mac));
    owners.set(after.mac, after.id);
    for (const ip of new Set(after.ips)) {
      checkIpUnique(after, ip, ov.owners.get(ipOwnerKey(ip)));
      owners.set(ipOwnerKey(ip), after.id);
    }
  }
  // Reported, not refused: the port is recorded as Neutron holds it.
  const overlaps = !after
    ? []
    : findPairIndexOverlaps(before, after, {
        heldOwner: (ip) => ov.owners.get(heldKey(ip)),
        holders: (ip) => [...(ov.holders.get(ip) ?? [])],
        prefixes: ov.prefixes.values(),
        heldIn: (cidr) => heldInGroup(ov, after.networkId, after.id, cidr) ?? ov.heldOutside.get(cidr),
      });
  const index = pairIndexWrites(next.id, next.networkId, before, after);
  for (const h of index.held) owners.set(h.key, h.owner ?? undefined);
  for (const [k, owner] of owners) {
    const stored = ov.stored.get(k);
    if (owner !== undefined && stored !== undefined && stored !== owner) return { kind: 'cut' };
  }
  return {
    kind: 'applied',
    state: stateBefore ?? emptyNetworkState(network as Network),
    value: recorded.value,
    before,
    after,
    owners,
    holders: index.holders,
    prefixes: index.prefixes,
    overlaps,
  };
}

interface Chunk {
  /** The outcomes of the events the chunk took, in order (`applied` ones share its commit). */
  readonly taken: readonly ('applied' | 'stale' | InvalidInputError)[];
  /** Per event taken, the overlaps it brings (empty unless applied). */
  readonly overlaps: readonly (readonly AapOverlap[])[];
  readonly draft: Draft | null;
}

/**
 * Plans the longest prefix of `events` that fits one commit. `known`: VIP addresses a cancelled
 * attempt showed a port of the group holds (src/app/vip-unbinding.ts), read from then on.
 */
async function planChunk(
  store: FactStore,
  networkId: string,
  events: readonly PortChangeEvent[],
  known: Set<string>,
): Promise<Chunk> {
  const claims = events.flatMap(({ next }) =>
    'deleted' in next ? [] : [next.mac, ...next.ips.map(ipOwnerKey), ...pairIndexReads(next).held],
  );
  const holderIps = [
    ...new Set(events.flatMap(({ next }) => ('deleted' in next ? [] : pairIndexReads(next).holders))),
  ];
  const readPrefixes = events.some(({ next }) => !('deleted' in next) && pairIndexReads(next).prefixes);
  const groupIds = [...new Set(events.map((e) => e.next.id))];
  // The VIP records at the fixed IPs the bound ports hold (src/app/vip-unbinding.ts).
  const vipReads = new Set([
    ...events.flatMap(({ next }) => ('deleted' in next ? [] : heldVipReads(next))),
    ...known,
  ]);
  const read = await store.readMany({
    networks: [networkId],
    ports: groupIds.map((id) => ({ id, networkId })),
    macs: [...new Set(claims)].map((mac) => ({ networkId, mac })),
    pairHolders: holderIps.map((ip) => ({ networkId, ip })),
    ...(readPrefixes ? { prefixPairs: [networkId] } : {}),
    ...(vipReads.size > 0 ? { vips: [...vipReads].map((ip) => ({ networkId, ip })) } : {}),
  });
  const stateBefore = await store.getNetworkState(networkId);
  const original = new Map<string, PortRecord | undefined>();
  for (const { next } of events) original.set(next.id, await store.getPort(next.id, networkId));
  const stored = new Map<string, string | undefined>();
  for (const mac of claims) stored.set(mac, read.macs.get(macReadKey(networkId, mac)));
  // The keys of a port live before the chunk are its own (the store keeps them so), read or not.
  for (const p of original.values()) {
    const live = livePort(p);
    if (live)
      for (const k of [live.mac, ...live.ips.map(ipOwnerKey), ...heldIps(live).map(heldKey)])
        if (!stored.has(k)) stored.set(k, live.id);
  }
  const holders = new Map<string, Set<string>>();
  for (const ip of holderIps)
    holders.set(ip, new Set(read.pairHolders?.get(macReadKey(networkId, ip)) ?? []));
  // The last change per (address, port) is what the commit writes (the holder items are unguarded).
  const holderWrites = new Map<string, PairHolderWrite>();
  const prefixWrites = new Map<string, PrefixPairWrite>();
  // A prefix an event adds (not inside one its port carried just before, as stored or as an
  // earlier event of the group left it): one range read, outside the group.
  const heldOutside = new Map<string, HeldIn | undefined>();
  const previous = new Map<string, Port | undefined>();
  for (const { next } of events) {
    const before = previous.has(next.id) ? previous.get(next.id) : livePort(original.get(next.id));
    previous.set(next.id, 'deleted' in next ? undefined : next);
    if ('deleted' in next) continue;
    for (const cidr of newPrefixPairs(before, next))
      if (!heldOutside.has(cidr)) heldOutside.set(cidr, await storedHeldIn(store, networkId, cidr, groupIds));
  }
  const ov: Overlay = {
    state: stateBefore,
    ports: new Map(original),
    owners: new Map(stored),
    stored,
    holders,
    prefixes: new Map(
      (read.prefixPairs?.get(networkId) ?? []).map((p) => [`${p.cidr}|${p.portId}`, p] as const),
    ),
    heldOutside,
  };
  const taken: ('applied' | 'stale' | InvalidInputError)[] = [];
  const overlaps: AapOverlap[][] = [];
  // Each port's values through the chunk: a VIP is unbound by any event that takes the right, as
  // on the single path, even when a later event of the chunk gives it back.
  const histories = new Map<string, (Port | undefined)[]>();
  const items = new Set<string>();
  const touchedOwners = new Set<string>();
  for (const event of events) {
    let step: Step;
    try {
      step = stepEvent(ov, event);
    } catch (err) {
      if (!isInvalidInputError(err)) throw err;
      taken.push(err);
      overlaps.push([]);
      continue;
    }
    if (step.kind === 'cut') break;
    if (step.kind === 'stale') {
      taken.push('stale');
      overlaps.push([]);
      continue;
    }
    const added = [
      ...itemsOf(step.before, step.after, event.next.id, [...step.owners.keys()]),
      ...step.holders.map((h) => `holders|${h.ip}`),
      ...(step.prefixes.length > 0 ? ['prefix-pairs'] : []),
      ...vipsAtRisk(step.before, step.after).addresses.map((ip) => `vip|${ip}`),
      ...newlyHeldIps(step.before, step.after)
        .filter((ip) => read.vips?.get(vipReadKey(networkId, ip)) !== undefined)
        .map((ip) => `vip|${ip}`),
    ];
    const grown = new Set([...items, ...added]);
    if (grown.size > COALESCED_ITEM_BUDGET && taken.includes('applied')) break;
    for (const k of added) items.add(k);
    ov.state = step.state;
    ov.ports.set(event.next.id, step.value);
    const history = histories.get(event.next.id) ?? [step.before];
    histories.set(event.next.id, [...history, step.after]);
    for (const [k, owner] of step.owners) {
      ov.owners.set(k, owner);
      touchedOwners.add(k);
    }
    for (const h of step.holders) {
      const set = ov.holders.get(h.ip) ?? new Set<string>();
      if (h.holds) set.add(h.portId);
      else set.delete(h.portId);
      ov.holders.set(h.ip, set);
      holderWrites.set(`${h.ip}|${h.portId}`, h);
    }
    for (const w of step.prefixes) {
      const k = `${w.cidr}|${w.portId}`;
      if (w.holds) ov.prefixes.set(k, { cidr: w.cidr, portId: w.portId });
      else ov.prefixes.delete(k);
      prefixWrites.set(k, w);
    }
    taken.push('applied');
    overlaps.push([...step.overlaps]);
  }
  const state = ov.state;
  if (!state || !taken.includes('applied')) return { taken, overlaps, draft: null };
  const changed = [...ov.ports].filter(([id, value]) => value !== original.get(id));
  const changes: PortChange[] = changed.map(([id, value]) => ({
    before: livePort(original.get(id)),
    after: livePort(value),
  }));
  const live = changes.flatMap((c) => [c.before, c.after]).filter((p): p is Port => !!p);
  const changedIds = new Set(changed.map(([id]) => id));
  const catchUp = await catchUpRouters(store, state, routerIdsOf(live), async (routerId) =>
    (await store.listRouterPorts(routerId)).filter((p) => p.networkId === networkId && !changedIds.has(p.id)),
  );
  const replaced = changed.map(([id, value]) => ({ id, after: livePort(value) }));
  const vips = await planVipUnbinding(
    store,
    networkId,
    [...histories].map(([id, states]) => ({ id, states })),
    read.vips,
    known,
  );
  const planned = await planNetworkChanges(store, state, changes, catchUp, replaced, vips);
  const macs: Commit['macs'][number][] = [...touchedOwners]
    .filter((k) => ov.owners.get(k) !== stored.get(k) || ov.owners.get(k) !== undefined)
    .sort()
    .map((mac) => ({ networkId, mac, owner: ov.owners.get(mac) ?? null }));
  return {
    taken,
    overlaps,
    draft: {
      commit: {
        ports: changed.map(([id, value]) => {
          const current = original.get(id);
          return {
            value: value as PortRecord,
            expected: current ? current.revision : null,
            previous: current,
          };
        }),
        macs,
        networks: [guardNetwork(stateBefore, planned.state)],
        pairHolders: [...holderWrites.values()],
        prefixPairs: [...prefixWrites.values()],
        vips: vips.writes,
        checks: vips.checks,
      },
      planned: [planned],
      result: { outcome: 'applied', splitBrain: [], strategies: planned.state.strategies },
    },
  };
}

/**
 * `port.upsert` / `port.delete` events of one network, in their queue order, coalesced: each fact
 * is recorded against the facts the earlier events leave (a later event on a port supersedes an
 * earlier one, a stale or rejected event is an outcome of its own and the others go on), the
 * network is planned once through the engine's `ports` change and committed once: one version,
 * one outbox record, one command per affected agent. A group splits into several commits only to
 * stay inside one DynamoDB transaction (`COALESCED_ITEM_BUDGET`) or where a MAC or fixed IP passes
 * from one port to another. An error other than a rejection fails the commit it was in and every
 * later event (the caller reports them all as failed, so SQS retries them); events of commits
 * that succeeded before it keep their results.
 */
export async function onPortChanges(
  deps: Deps,
  networkId: string,
  events: readonly PortChangeEvent[],
): Promise<PortEventOutcome[]> {
  const out: PortEventOutcome[] = [];
  const known = new Set<string>();
  while (out.length < events.length) {
    let taken: Chunk['taken'] = [];
    let overlaps: Chunk['overlaps'] = [];
    const result = await runWithRetry(deps, async (store) => {
      const chunk = await planChunk(store, networkId, events.slice(out.length), known);
      taken = chunk.taken;
      overlaps = chunk.overlaps;
      return chunk.draft;
    });
    // The first event of a chunk is never cut (its keys are checked against the stored owners).
    if (taken.length === 0) throw new Error(`coalesced group of network ${networkId} made no progress`);
    let carried = false;
    for (const [i, t] of taken.entries()) {
      if (t instanceof InvalidInputError) out.push({ kind: 'rejected', error: t });
      else if (t === 'stale') out.push({ kind: 'result', result: STALE_RESULT });
      else {
        // The commit's commands and planner fallback are counted once, with the first event it carries.
        const networks = carried
          ? result.networks.map(({ networkId, version }) => ({ networkId, version, commands: 0 }))
          : result.networks;
        const found = (overlaps[i] ?? []).map((o) => ({ ...o, networkId }));
        out.push({
          kind: 'result',
          result: { ...result, networks, ...(found.length > 0 ? { overlaps: found } : {}) },
        });
        carried = true;
      }
    }
  }
  return out;
}
