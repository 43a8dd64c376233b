import { InvalidInputError } from '../core/errors.js';
import { checkIpUnique, checkMacUnique, recordPort, recordPortDelete } from '../core/transitions.js';
import type { Network, Port } from '../core/types.js';
import {
  type AapOverlap,
  findPairIndexOverlaps,
  type HeldIn,
  heldKey,
  newPrefixPairs,
  pairIndexReads,
  pairIndexWrites,
  storedHeldIn,
} from './aap-index.js';
import { emptyNetworkState } from './network-planner.js';
import { type Commit, type FactStore, macReadKey, type NetworkState } from './ports.js';
import {
  type Deps,
  type EventResult,
  guardNetwork,
  livePort,
  routerIdsOf,
  runWithRetry,
} from './reconcile.js';
import { catchUpRouters, planNetworkChanges } from './router-catch-up.js';
import { heldVipReads, planVipUnbinding } from './vip-unbinding.js';

/**
 * The owner index of MACs doubles as the owner index of fixed IPs, under the key `ip:<address>`
 * (a MAC never starts with `ip:`), so the same guarded write that keeps
 * a MAC to one port keeps a fixed IP to one port of the network: two ports with one IP would make
 * the agents refuse the network's entries (`duplicate_ip` in agent/parse-agent-command.ts).
 */
export const ipOwnerKey = (ip: string) => `ip:${ip}`;

async function claimFixedIps(
  store: Pick<FactStore, 'getMacOwner'>,
  before: Port | undefined,
  after: Port | undefined,
): Promise<Commit['macs'][number][]> {
  const out: Commit['macs'][number][] = [];
  const kept = new Set(after?.ips ?? []);
  for (const ip of after ? [...new Set(after.ips)] : []) {
    checkIpUnique(after as Port, ip, await store.getMacOwner((after as Port).networkId, ipOwnerKey(ip)));
    out.push({ networkId: (after as Port).networkId, mac: ipOwnerKey(ip), owner: (after as Port).id });
  }
  for (const ip of before?.ips ?? [])
    if (!kept.has(ip)) out.push({ networkId: (before as Port).networkId, mac: ipOwnerKey(ip), owner: null });
  return out;
}

/**
 * The network a port event names must be known (recorded, or described by the event) and, when
 * both are known, of the recorded type and segment: `unknown_network`, `segment_mismatch`.
 */
export function checkEventNetwork(
  recorded: NetworkState | undefined,
  network: Network | null,
  networkId: string,
): void {
  if (!recorded && !network)
    throw new InvalidInputError('unknown_network', `network ${networkId} is unknown`, { networkId });
  if (
    recorded &&
    network &&
    (recorded.network.networkType !== network.networkType || recorded.network.segmentId !== network.segmentId)
  )
    throw new InvalidInputError(
      'segment_mismatch',
      `network ${network.id} is ${recorded.network.networkType}/${recorded.network.segmentId}, the event says ${network.networkType}/${network.segmentId}`,
    );
}

/** `port.upsert` / `port.delete`: record the port fact, then reconcile its network incrementally. */
export async function onPortChange(
  deps: Deps,
  network: Network | null,
  next: Port | { id: string; networkId: string; revision: number; deleted: true },
): Promise<EventResult> {
  // VIP addresses a cancelled attempt showed the port holds: read from the next attempt on.
  const known = new Set<string>();
  return runWithRetry(deps, async (store) => {
    // One round for everything the event names (the network state, the port, the MAC and
    // fixed-IP owners it claims); the single reads below are served from it.
    const index = 'deleted' in next ? { held: [], holders: [], prefixes: false } : pairIndexReads(next);
    const claims = 'deleted' in next ? [] : [next.mac, ...next.ips.map(ipOwnerKey), ...index.held];
    // The VIP records at the fixed IPs a bound port holds: one it starts to hold withdraws another
    // port's binding there (docs/vip.md, "Overlap with another port's fixed IP").
    const vipReads = new Set(['deleted' in next ? [] : heldVipReads(next), ...known].flat());
    const read = await store.readMany({
      networks: [next.networkId],
      ports: [{ id: next.id, networkId: next.networkId }],
      macs: claims.map((mac) => ({ networkId: next.networkId, mac })),
      pairHolders: index.holders.map((ip) => ({ networkId: next.networkId, ip })),
      ...(index.prefixes ? { prefixPairs: [next.networkId] } : {}),
      ...(vipReads.size > 0 ? { vips: [...vipReads].map((ip) => ({ networkId: next.networkId, ip })) } : {}),
    });
    const stateBefore = await store.getNetworkState(next.networkId);
    checkEventNetwork(stateBefore, network, next.networkId);
    const state = stateBefore ?? emptyNetworkState(network as Network);
    const current = await store.getPort(next.id, next.networkId);
    const recorded =
      'deleted' in next
        ? recordPortDelete(current, next.id, next.networkId, next.revision)
        : recordPort(current, next);
    if (recorded.kind === 'stale') return null;
    const before = livePort(current);
    const after = livePort(recorded.value);
    const macs: Commit['macs'][number][] = [];
    if (after) {
      checkMacUnique(after, await store.getMacOwner(after.networkId, after.mac));
      macs.push({ networkId: after.networkId, mac: after.mac, owner: after.id });
    }
    if (before && before.mac !== after?.mac)
      macs.push({ networkId: before.networkId, mac: before.mac, owner: null });
    macs.push(...(await claimFixedIps(store, before, after)));
    let overlaps: AapOverlap[] = [];
    if (after) {
      // A prefix pair the port did not carry: one range read of the held IPs (the rare extra request).
      const heldIn = new Map<string, HeldIn | undefined>();
      for (const cidr of newPrefixPairs(before, after))
        heldIn.set(cidr, await storedHeldIn(store, after.networkId, cidr, [after.id]));
      // Reported, not refused: the port is recorded as Neutron holds it.
      overlaps = findPairIndexOverlaps(before, after, {
        heldOwner: (ip) => read.macs.get(macReadKey(after.networkId, heldKey(ip))),
        holders: (ip) => read.pairHolders?.get(macReadKey(after.networkId, ip)) ?? [],
        prefixes: read.prefixPairs?.get(after.networkId) ?? [],
        heldIn: (cidr) => heldIn.get(cidr),
      });
    }
    const indexWrites = pairIndexWrites(next.id, next.networkId, before, after);
    macs.push(...indexWrites.held.map((h) => ({ networkId: next.networkId, mac: h.key, owner: h.owner })));
    const routerIds = routerIdsOf([before, after].filter((p): p is Port => !!p));
    // The port's routers as the network records them; one that moved on since (an HA change
    // not yet reconciled here, or a router created after its ports) is caught up with this event.
    const catchUp = await catchUpRouters(store, state, routerIds, async (routerId) =>
      (await store.listRouterPorts(routerId)).filter(
        (p) => p.networkId === state.network.id && p.id !== next.id,
      ),
    );
    // A VIP the port owns or holds and may no longer announce leaves it in this commit.
    const vips = await planVipUnbinding(
      store,
      next.networkId,
      [{ id: next.id, states: [before, after] }],
      read.vips,
      known,
    );
    const planned = await planNetworkChanges(
      store,
      state,
      [{ before, after }],
      catchUp,
      [{ id: next.id, after }],
      vips,
    );
    return {
      commit: {
        ports: [{ value: recorded.value, expected: current ? current.revision : null, previous: current }],
        macs,
        networks: [guardNetwork(stateBefore, planned.state)],
        pairHolders: indexWrites.holders,
        prefixPairs: indexWrites.prefixes,
        vips: vips.writes,
        checks: vips.checks,
      },
      planned: [planned],
      result: {
        outcome: 'applied',
        splitBrain: [],
        strategies: planned.state.strategies,
        ...(overlaps.length > 0
          ? { overlaps: overlaps.map((o) => ({ ...o, networkId: next.networkId })) }
          : {}),
      },
    };
  });
}
