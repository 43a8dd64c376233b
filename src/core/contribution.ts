import { addToBuilder, type TableBuilder } from './entries.js';
import { resolveStrategy } from './flags.js';
import { viewOfRouter } from './ha.js';
import { computeRouterView, type Member } from './membership.js';
import { classifyPort } from './owners.js';
import type { Entry, FlagSettings, HaRouter, Port, RouterView, Strategy } from './types.js';

/**
 * Who may see an entry: every agent, or only agents whose view of the router is `master-binding`
 * (an `auto` router shows its port's unicast entry only to agents that cannot learn it). The view
 * depends on the router's hosting nodes too (`computeRouterView`), so the entry carries them.
 */
export type Audience =
  | { readonly kind: 'all' }
  | { readonly kind: 'master-binding-view'; readonly hosting: readonly string[] };

const ALL: Audience = { kind: 'all' };

export interface EntryContribution {
  readonly host: string;
  readonly entry: Entry;
  readonly audience: Audience;
}

/**
 * What one port adds to its network: hosts it makes present (each flooded to by the others) and
 * unicast entries located on a host. Every entry's host is also in `presence`, so an entry never
 * outlives the presence that carries it; the incremental planner relies on that.
 */
export interface PortContribution {
  readonly presence: readonly string[];
  readonly entries: readonly EntryContribution[];
}

/** Whether the agent `self` holds `e` (entries located on itself aside), given the network's members. */
export function isVisibleTo(
  e: EntryContribution,
  self: Member,
  members: Readonly<Record<string, Member>>,
): boolean {
  return (
    e.audience.kind === 'all' || computeRouterView(self, e.audience.hosting, members) === 'master-binding'
  );
}

/**
 * Adds to `host`'s table builder every entry of `entries` it holds: located on another member
 * (under that member's tunnel IP) and visible to it. The one rule the full recompute and both
 * incremental planners render entries with.
 */
export function addVisibleEntries(
  builder: TableBuilder,
  host: string,
  self: Member,
  entries: readonly EntryContribution[],
  members: Readonly<Record<string, Member>>,
): void {
  for (const e of entries) {
    const at = members[e.host];
    if (at && e.host !== host && isVisibleTo(e, self, members)) addToBuilder(builder, at.tunnelIp, e.entry);
  }
}

export const EMPTY_CONTRIBUTION: PortContribution = { presence: [], entries: [] };

/**
 * What a contribution reads besides the port: the routers' views and the strategy of each HA
 * router. The planner builds it from what a network records (`recordedContext`, engine.ts); the
 * full recompute from the facts (`contextFromFacts`).
 */
export interface ContributionContext {
  readonly routers: ReadonlyMap<string, RouterView>;
  readonly strategyOf: (routerId: string) => Strategy;
}

/** The context of the facts: router views from the router facts, strategies from the flags. */
export function contextFromFacts(
  routers: ReadonlyMap<string, HaRouter>,
  flags: FlagSettings,
  networkId: string,
): ContributionContext {
  return {
    routers: new Map([...routers].map(([id, r]) => [id, viewOfRouter(r)])),
    strategyOf: (routerId) => resolveStrategy(flags, routerId, networkId).strategy,
  };
}

function unicast(port: Port, host: string, audience: Audience): EntryContribution[] {
  return port.ips.map((ip) => ({ host, entry: [port.mac, ip] as const, audience }));
}

/**
 * Neutron's per-owner rules (docs/neutron-l2pop.md §1.4) plus the HA strategies (guarantee 1, docs/architecture.md):
 * - ordinary ACTIVE bound port: presence of its host, unicast `[mac, ip]` per fixed IP;
 * - DVR interface: presence of every host with an ACTIVE distributed binding, no unicast;
 * - HA interface of an ACTIVE port: every scheduled host of the router is present under every
 *   strategy (its flooding entries and tables exist before a failover to it, so a failover moves
 *   only the interface's unicast entry; deviation D17 for `master-binding`, docs/deviations.md).
 *   `tunnel` sends no unicast; `master-binding` binds it to the newest active claim; `auto` does
 *   both, with the unicast entry visible only to agents that get the master-binding view
 *   (`computeRouterView`: agents that cannot learn it, and every agent when a node hosting the
 *   router runs an ARP proxy);
 * - gateway port of an HA router: ordinary, but located on the master (Neutron rebinds it).
 */
export function computePortContribution(port: Port, ctx: ContributionContext): PortContribution {
  if (port.status !== 'ACTIVE') return EMPTY_CONTRIBUTION;
  const role = classifyPort(port.deviceOwner, port.deviceId, ctx.routers);
  if (role === 'dvr') return { presence: [...new Set(port.dvrHosts)].sort(), entries: [] };
  if (role === 'ordinary' || role === 'ha-gateway') {
    const router = ctx.routers.get(port.deviceId);
    const host = (role === 'ha-gateway' && router ? router.master : null) ?? port.host;
    if (host === '') return EMPTY_CONTRIBUTION;
    return { presence: [host], entries: unicast(port, host, ALL) };
  }
  const router = ctx.routers.get(port.deviceId);
  if (!router) return EMPTY_CONTRIBUTION;
  const strategy = ctx.strategyOf(port.deviceId);
  const { master } = router;
  const presence = [...router.hosts];
  if (strategy === 'tunnel' || !master) return { presence, entries: [] };
  if (strategy === 'master-binding') return { presence, entries: unicast(port, master, ALL) };
  return { presence, entries: unicast(port, master, { kind: 'master-binding-view', hosting: router.hosts }) };
}
