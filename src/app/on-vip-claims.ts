import type { VipClaimEvent } from '../contracts/events.js';
import { InvalidInputError } from '../core/errors.js';
import type { Port } from '../core/types.js';
import { checkVipClaim, DEFAULT_VIP_CONFIG, recordVipClaim, type VipConfig } from '../core/vip.js';
import { ownerPortKnowsHolders } from '../core/vip-keys.js';
import { newVipRecord, resolveVipStrategy, type VipRecord } from '../core/vip-view.js';
import { heldKey } from './aap-index.js';
import type { PortEventOutcome } from './on-port-changes.js';
import {
  claimOf,
  commitVipRecords,
  staleVipSummary,
  VIP_REFUSAL_CODES,
  type VipRecordWrite,
  vipSummary,
} from './on-vip-claim.js';
import { type FactStore, macReadKey, vipReadKey } from './ports.js';
import {
  type Deps,
  type Draft,
  type EventResult,
  livePort,
  runWithRetry,
  STALE_RESULT,
  type VipOutcomeSummary,
} from './reconcile.js';

/** What became of one claim of a coalesced group: its result, or the refusal that rejects it. */
export type VipClaimOutcome = PortEventOutcome;

/**
 * The distinct VIPs one commit may write, far below DynamoDB's 100 items per TransactWriteItems
 * with the network state, the outbox record, the flags check and the joining agents' checks. A
 * Lambda batch holds at most 10 records on a FIFO queue, so only a direct caller ever splits.
 */
export const COALESCED_VIP_BUDGET = 25;

/** What one claim of a chunk came to, before the commit that carries the applied ones. */
type Taken =
  | { readonly kind: 'rejected'; readonly error: InvalidInputError }
  | { readonly kind: 'stale'; readonly record: VipRecord | undefined; readonly splitBrain: boolean }
  | { readonly kind: 'applied'; readonly vip: VipOutcomeSummary };

/** The claims `plan` folded (a prefix of the chunk it was given) and the commit of those applied. */
interface Chunk {
  readonly taken: readonly Taken[];
  readonly draft: Draft | null;
}

/**
 * Folds the longest prefix of `events` that names at most `COALESCED_VIP_BUDGET` VIPs, in queue
 * order, each claim against the records the earlier ones leave: the same checks and the same
 * ordering rule (`recordVipClaim`: stale, refresh, move, freeze, split brain) as a claim alone,
 * so the records end as the claims one by one would leave them (`version` included: it counts
 * the claims applied). One BatchGetItem reads the network state, the claiming ports, the VIP
 * records, their addresses' held-IP owners (src/app/aap-index.ts), the claimed MACs' owners
 * (src/core/vip-keys.ts) and the flags.
 */
async function plan(
  store: FactStore,
  networkId: string,
  events: readonly VipClaimEvent[],
  config: VipConfig,
  now: number,
): Promise<Chunk> {
  const ips: string[] = [];
  let end = 0;
  for (; end < events.length; end++) {
    const ip = (events[end] as VipClaimEvent).ip;
    if (ips.includes(ip)) continue;
    if (ips.length === COALESCED_VIP_BUDGET) break;
    ips.push(ip);
  }
  const chunk = events.slice(0, end);
  const read = await store.readMany({
    networks: [networkId],
    ports: [...new Set(chunk.map((e) => e.portId))].map((id) => ({ id, networkId })),
    vips: ips.map((ip) => ({ networkId, ip })),
    // the held-IP owner of each address: a claim of another bound port's fixed IP is refused; and
    // the port whose MAC each claimed MAC is, if any (who else may hold the VIP's unicast entry)
    macs: [
      ...ips.map((ip) => ({ networkId, mac: heldKey(ip) })),
      ...[...new Set(chunk.map((e) => e.mac))].map((mac) => ({ networkId, mac })),
    ],
    flags: true,
  });
  const state = await store.getNetworkState(networkId);
  const flags = read.flags ?? (await store.getFlags());
  const stored = new Map(ips.map((ip) => [ip, read.vips?.get(vipReadKey(networkId, ip))]));
  const records = new Map(stored);
  const taken: Taken[] = [];
  // each VIP's owner port as this claim read it (who holds its unicast entry, src/core/vip-keys.ts)
  const owners = new Map<string, Port>();
  for (const event of chunk) {
    const claim = claimOf(event);
    const port = livePort(await store.getPort(claim.portId, networkId));
    if (port) owners.set(claim.portId, port);
    const heldBy = read.macs.get(macReadKey(networkId, heldKey(claim.ip)));
    const refusal =
      checkVipClaim(port, claim, now, config) ??
      (port?.ips.includes(claim.ip)
        ? 'own_fixed_ip'
        : heldBy !== undefined && heldBy !== claim.portId
          ? 'held_by_another_port'
          : null);
    if (refusal || !state) {
      taken.push({
        kind: 'rejected',
        error: new InvalidInputError(
          VIP_REFUSAL_CODES[refusal ?? 'unknown_port'],
          `vip.claim for ${claim.ip} in network ${claim.networkId} from port ${claim.portId} on ${claim.host} refused: ${refusal ?? 'unknown network'}${refusal === 'held_by_another_port' ? ` (a fixed IP of port ${heldBy})` : ''}`,
          {
            networkId: claim.networkId,
            portId: claim.portId,
            host: claim.host,
            ip: claim.ip,
            mac: claim.mac,
          },
        ),
      });
      continue;
    }
    const before = records.get(claim.ip);
    const outcome = recordVipClaim(before?.state, claim, config);
    if (outcome.kind === 'stale') {
      taken.push({ kind: 'stale', record: before, splitBrain: outcome.splitBrain });
      continue;
    }
    const strategy = resolveVipStrategy(flags.flags, networkId, claim.ip, outcome.state.owner.portId);
    const after: VipRecord = before
      ? {
          ...before,
          state: outcome.state,
          strategy: strategy.strategy,
          holders: { ...before.holders, [claim.portId]: claim.host },
          version: before.version + 1,
        }
      : newVipRecord(claim, outcome.state, strategy.strategy);
    records.set(claim.ip, after);
    taken.push({ kind: 'applied', vip: vipSummary(after, outcome) });
  }
  const writes: VipRecordWrite[] = [];
  for (const [ip, after] of records)
    if (after && after !== stored.get(ip)) {
      const owner = after.state.owner;
      const macOwner = owner ? read.macs.get(macReadKey(networkId, owner.mac)) : undefined;
      const known = owner && ownerPortKnowsHolders(macOwner, owner.portId);
      writes.push({ before: stored.get(ip), after, ownerPort: known ? owners.get(owner.portId) : undefined });
    }
  if (!state || writes.length === 0) return { taken, draft: null };
  // The held-IP owners read (none for an accepted claim's address): a port event that takes the
  // address meanwhile moves the network's `seq` or the record's version, which the commit is
  // guarded on, unless the read was torn (STATE after that commit, the owner item before); this
  // check closes that.
  const held = [...new Set(taken.flatMap((t) => (t.kind === 'applied' ? [t.vip.ip] : [])))].map((ip) => ({
    kind: 'notOwned' as const,
    networkId,
    mac: heldKey(ip),
  }));
  const draft = await commitVipRecords(
    store,
    state,
    writes,
    [{ kind: 'flags', revision: flags.revision }, ...held],
    {
      outcome: 'applied',
      splitBrain: [],
      strategies: {},
    },
  );
  return { taken, draft };
}

/**
 * `vip.claim` events of one network, in their queue order, coalesced (docs/vip.md, "Recording"):
 * each claim is checked and ordered as alone (`checkVipClaim`, `recordVipClaim`), against the
 * records the earlier claims leave; a refused claim is rejected with its typed code and a stale
 * one is an outcome of its own, and the others go on. The VIPs whose view moves are planned as
 * one `vips` change and committed once: one version, one outbox record, one command per agent,
 * whatever the number of claims (a keepalived failover makes four from one host: two instances,
 * IPv4 and IPv6). Steady state, for one claim or several: one BatchGetItem, one
 * TransactWriteItems, and the outbox record's deletion after publishing. An error other than a
 * refusal fails the commit and every claim of the group (the caller reports them all as failed,
 * so SQS retries them; a claim the commit took is stale when retried).
 */
export async function onVipClaims(
  deps: Deps,
  networkId: string,
  events: readonly VipClaimEvent[],
): Promise<VipClaimOutcome[]> {
  const config = deps.vip ?? DEFAULT_VIP_CONFIG;
  const now = (deps.now ?? Date.now)();
  const out: VipClaimOutcome[] = [];
  while (out.length < events.length) {
    let taken: readonly Taken[] = [];
    const result = await runWithRetry(deps, async (store) => {
      const chunk = await plan(store, networkId, events.slice(out.length), config, now);
      taken = chunk.taken;
      return chunk.draft;
    });
    if (taken.length === 0) throw new Error(`coalesced claims of network ${networkId} made no progress`);
    // The commit's commands and planner fallback are counted once, with the first claim it carries.
    let carried = false;
    for (const t of taken) {
      if (t.kind === 'rejected') out.push({ kind: 'rejected', error: t.error });
      else if (t.kind === 'stale')
        // The first claim of a VIP is never stale: a stale claim has the record it lost to.
        out.push({
          kind: 'result',
          result: t.record ? { ...STALE_RESULT, vip: staleVipSummary(t.record, t.splitBrain) } : STALE_RESULT,
        });
      else {
        const moved = result.networks.length > 0;
        const networks = carried
          ? result.networks.map(({ networkId, version }) => ({ networkId, version, commands: 0 }))
          : result.networks;
        out.push({
          kind: 'result',
          result: {
            ...result,
            networks,
            strategies: moved ? { [`vip:${t.vip.ip}`]: t.vip.strategy } : {},
            vip: t.vip,
          },
        });
        carried ||= moved;
      }
    }
  }
  return out;
}

/** One `vip.claim`: a coalesced group of one. A refusal is thrown, as every use-case does. */
export async function onVipClaim(deps: Deps, event: VipClaimEvent): Promise<EventResult> {
  const [outcome] = await onVipClaims(deps, event.networkId, [event]);
  if (!outcome) throw new Error(`vip.claim for ${event.ip} in network ${event.networkId} made no outcome`);
  if (outcome.kind === 'rejected') throw outcome.error;
  return outcome.result;
}
