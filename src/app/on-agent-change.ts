import { InvalidInputError } from '../core/errors.js';
import { computeHaView, computeMember, type Member } from '../core/membership.js';
import { recordAgent } from '../core/transitions.js';
import type { Agent } from '../core/types.js';
import { planNetwork } from './network-planner.js';
import type { Commit, FactCheck, FactStore, NetworkState } from './ports.js';
import {
  type Deps,
  type Draft,
  EMPTY_COMMIT,
  type EventResult,
  guardNetwork,
  runWithRetry,
  STALE_RESULT,
} from './reconcile.js';
import { networkReader } from './router-catch-up.js';

function sameMember(a: Member | undefined | null, b: Member | null): boolean {
  return (a ?? null) === null
    ? b === null
    : b !== null &&
        a?.tunnelIp === b.tunnelIp &&
        a?.haView === b.haView &&
        (a?.arpProxy ?? false) === (b.arpProxy ?? false);
}

/** Whether two reports of a host give it the same member in every network (`computeMember`'s inputs). */
function sameAgentFacts(a: Agent, b: Agent): boolean {
  const types = (x: Agent) => [...new Set(x.networkTypes)].sort().join(',');
  const proxy = (x: Agent) => x.capabilities.arp === 'proxy';
  return (
    a.tunnelIp === b.tunnelIp &&
    types(a) === types(b) &&
    computeHaView(a) === computeHaView(b) &&
    proxy(a) === proxy(b)
  );
}

function merge(results: readonly EventResult[], outcome: EventResult['outcome']): EventResult {
  return { outcome, networks: results.flatMap((r) => r.networks), splitBrain: [], strategies: {} };
}

/**
 * Recomputes one network for the host's agent, in its own transaction, checking that the agent
 * item still holds `agentRevision`. Skipped without reading ports when the host's member is already
 * right and it did not restart. A restart with an unchanged member needs only the host's snapshot
 * (O(ports)); a member change (tunnel IP, capabilities) reads every port and plans with
 * `planMemberChanges` (the engine's `members` row), O(ports + hosts x the entries it moves): an ARP-proxy change
 * of a node hosting an `auto` router moves the other agents' views of it too.
 */
function reconcileMember(
  deps: Deps,
  networkId: string,
  agent: Agent,
  restarted: boolean,
  agentRevision: number | null,
): Promise<EventResult> {
  return runWithRetry(deps, async (store) => {
    const state = await store.getNetworkState(networkId);
    if (!state) return null;
    const present = (state.index.counts[agent.host] ?? 0) > 0;
    const same = sameMember(state.index.members[agent.host], computeMember(agent, state.network));
    if (!present || (!restarted && same)) return null;
    const checks = [{ kind: 'agent' as const, host: agent.host, revision: agentRevision }];
    if (same) return snapshotDraft(store, state, agent.host, `~boot~${agent.host}~${agent.bootId}`, checks);
    const p = await planNetwork(
      state,
      {
        kind: 'members',
        agents: new Map([[agent.host, agent]]),
        restarted: new Set(restarted ? [agent.host] : []),
      },
      networkReader(store, networkId, []),
    );
    return {
      commit: { networks: [guardNetwork(state, p.state)], checks },
      planned: [p],
      result: { outcome: 'applied', splitBrain: [], strategies: {} },
    };
  });
}

async function reconcileHost(
  deps: Deps,
  agent: Agent,
  restarted: boolean,
  agentRevision: number | null,
): Promise<EventResult[]> {
  const out: EventResult[] = [];
  for (const networkId of (await deps.store.listHostNetworks(agent.host)).sort())
    out.push(await reconcileMember(deps, networkId, agent, restarted, agentRevision));
  return out;
}

/**
 * `agent.report`. A report changes a whole host (its VTEP, its capabilities, or with a new boot id
 * its tables), so each network the host counts in is replanned from all its ports. A restarted agent
 * gets a snapshot of every network it is in; the others get deltas, so a tunnel-IP change removes
 * the old VTEP everywhere (a deviation from Neutron, docs/deviations.md).
 *
 * One transaction per network (a host can be in hundreds; a DynamoDB transaction holds 100 items),
 * in this order, so every crash point is repaired by the redelivery:
 * 1. each network, while the agent item still holds the old report (checked);
 * 2. the agent item (guarded on its revision); a crash before it replays step 1 in full;
 * 3. a repair pass over the host's networks, for a network the host joined concurrently with the
 *    planning of the old report; a duplicate delivery runs only this pass.
 * A repeat report (same boot id, same tunnel IP, network types, HA view and ARP proxy) changes no
 * member, so it writes the agent item only: 2 requests, whatever the host's networks
 * (docs/data-model.md). A join planned concurrently with the old revision read the same facts, so
 * no pass is needed.
 */
export async function onAgentReport(deps: Deps, next: Agent): Promise<EventResult> {
  checkOverlayVersion(next, deps.overlayIpVersion ?? 4);
  const { store } = deps;
  const attempts = deps.maxAttempts ?? 8;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await store.getAgent(next.host);
    const recorded = recordAgent(current, next);
    if (recorded.kind === 'stale') {
      if (current?.revision !== next.revision) return STALE_RESULT;
      const repaired = await reconcileHost(deps, current, false, current.revision);
      return merge(repaired, 'stale');
    }
    const { agent, restarted } = recorded.value;
    const claims = await claimTunnelIp(store, current, agent);
    const before = current ? current.revision : null;
    const repeat = current !== undefined && !restarted && sameAgentFacts(current, agent);
    const planned = repeat ? [] : await reconcileHost(deps, agent, restarted, before);
    const commit: Commit = { ...EMPTY_COMMIT, agents: [{ value: agent, expected: before }], macs: claims };
    if ((await store.commit(commit)) === 'conflict') continue;
    const repaired = repeat ? [] : await reconcileHost(deps, agent, false, agent.revision);
    return merge([...planned, ...repaired], 'applied');
  }
  return STALE_RESULT;
}

/**
 * Every tunnel endpoint is of the overlay's IP version, as Neutron's `tunnel_sync` requires
 * (`[ml2] overlay_ip_version`, default 4). A kernel VXLAN device refuses a remote VTEP of the
 * other family ("Address family not supported by protocol", docs/dataplane.md §6 finding 9), so
 * an accepted IPv6 endpoint in an IPv4 overlay would be a flooding entry every other agent of its
 * networks refuses, and its own agent would refuse theirs. Checked before anything is read or
 * written: the rejected report changes nothing.
 */
function checkOverlayVersion(agent: Agent, version: 4 | 6): void {
  if (agent.tunnelIp === null) return;
  const family = agent.tunnelIp.includes(':') ? 6 : 4;
  if (family !== version)
    throw new InvalidInputError(
      'tunnel_ip_version',
      `tunnel IP ${agent.tunnelIp} is IPv${family}; every tunnel endpoint of this controller is IPv${version} (L2POP_OVERLAY_IP_VERSION, Neutron's [ml2] overlay_ip_version)`,
      { host: agent.host, tunnelIp: agent.tunnelIp, overlayIpVersion: version },
    );
}

/**
 * Tunnel IPs are unique per agent (the planner's precondition, and an agent refuses entries
 * behind its own VTEP): the owner index, in a scope no network id can name (`~tunnel`), keeps each
 * to one host. The current holder wins, as in Neutron while the holder's agent is alive (its
 * `tunnel_sync` refuses an IP in use by another live host): a host reporting another's tunnel IP
 * is rejected (`tunnel_ip_in_use`) until the holder reports another address or none
 * (`tunnelIp: null`), which frees it. This controller has no liveness facts (D13), so moving an IP
 * off a dead host takes that one report for the dead host (docs/operations.md).
 */
export const TUNNEL_SCOPE = '~tunnel';
export const tunnelOwnerKey = (ip: string) => `tunnel:${ip}`;

async function claimTunnelIp(
  store: FactStore,
  current: Agent | undefined,
  next: Agent,
): Promise<Commit['macs'][number][]> {
  const claims: Commit['macs'][number][] = [];
  if (next.tunnelIp && next.tunnelIp !== current?.tunnelIp) {
    const owner = await store.getMacOwner(TUNNEL_SCOPE, tunnelOwnerKey(next.tunnelIp));
    if (owner !== undefined && owner !== next.host)
      throw new InvalidInputError(
        'tunnel_ip_in_use',
        `tunnel IP ${next.tunnelIp} is held by host ${owner}; it must report another address or none first`,
        { host: next.host, owner },
      );
    claims.push({ networkId: TUNNEL_SCOPE, mac: tunnelOwnerKey(next.tunnelIp), owner: next.host });
  }
  if (current?.tunnelIp && current.tunnelIp !== next.tunnelIp)
    claims.push({ networkId: TUNNEL_SCOPE, mac: tunnelOwnerKey(current.tunnelIp), owner: null });
  return claims;
}

/**
 * `agent.resync`: a snapshot of one or every network the host is present in, at the current
 * version, one transaction per network. No version bump; `sent` moves so the next delta's base is
 * the snapshot's version.
 */
export async function onAgentResync(
  deps: Deps,
  host: string,
  networkId: string | undefined,
): Promise<EventResult> {
  const ids = networkId ? [networkId] : (await deps.store.listHostNetworks(host)).sort();
  const results: EventResult[] = [];
  for (const id of ids) results.push(await resyncNetwork(deps, host, id));
  return merge(results, results.some((r) => r.outcome === 'applied') ? 'applied' : 'stale');
}

/**
 * One host's snapshot of one network at its current version (`agent.resync`, drift repairs).
 * A resync's outbox key carries the write counter its commit gives the network record, so each
 * resync is a record of its own, and an SQS deduplication id of its own: keyed by the version
 * alone, a second resync of the host at one version reused the first one's id and SQS dropped it
 * within its 5-minute window (an agent that asked again, after its first snapshot could not be
 * applied, waited for the network's next version). A republished record keeps its key, so SQS
 * still drops the copy.
 */
export function resyncNetwork(
  deps: Deps,
  host: string,
  id: string,
  suffix?: string,
  bump = false,
): Promise<EventResult> {
  return runWithRetry(deps, async (store) => {
    const state = await store.getNetworkState(id);
    if (!state?.index.members[host]) return null;
    const key = suffix ?? `~resync~${host}~${String((state.seq ?? 0) + 1).padStart(12, '0')}`;
    return snapshotDraft(store, state, host, key, [], bump);
  });
}

/**
 * A snapshot of the host's table at the network's current version (no version bump; `sent` moves
 * so the next delta's base is the snapshot's version). `suffix` keeps its outbox key, and so its
 * SQS deduplication id, apart from the delta of the same version and from other snapshots.
 */
async function snapshotDraft(
  store: FactStore,
  state: NetworkState,
  host: string,
  suffix: string,
  checks: readonly FactCheck[],
  bump = false,
): Promise<Draft> {
  const planned = await planNetwork(
    state,
    { kind: 'snapshot', host, ...(bump ? { bump } : {}) },
    networkReader(store, state.network.id, []),
    suffix,
  );
  return {
    commit: { networks: [guardNetwork(state, planned.state)], checks },
    planned: [planned],
    result: { outcome: 'applied', splitBrain: [], strategies: {} },
  };
}
