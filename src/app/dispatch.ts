import type {
  AgentEvent,
  InboundEvent,
  PortEvent,
  PortQueueEvent,
  VipClaimEvent,
} from '../contracts/events.js';
import { toAgent, toNetwork, toPort } from '../contracts/parse.js';
import { onAgentApplied } from './on-agent-applied.js';
import { onAgentAudit } from './on-agent-audit.js';
import { onAgentReport, onAgentResync } from './on-agent-change.js';
import { onFlagsSet } from './on-flags-set.js';
import { onHaChange } from './on-ha-change.js';
import { onNetworkRebuild } from './on-network-rebuild.js';
import { onPortChange } from './on-port-change.js';
import { onPortChanges, type PortChangeEvent, type PortEventOutcome } from './on-port-changes.js';
import { onVipClaim, onVipClaims, type VipClaimOutcome } from './on-vip-claims.js';
import type { Deps, EventResult } from './reconcile.js';

/** Routes one parsed inbound event to its use-case. Every handler and the replay go through here. */
export function dispatchEvent(deps: Deps, event: InboundEvent): Promise<EventResult> {
  switch (event.type) {
    case 'port.upsert':
    case 'port.delete': {
      const { network, next } = portChangeOf(event);
      return onPortChange(deps, network, next);
    }
    case 'ha.state':
      return onHaChange(deps, {
        kind: 'state',
        routerId: event.routerId,
        host: event.host,
        state: event.state,
        order: { term: event.term, seq: event.seq },
      });
    case 'ha.schedule':
      return onHaChange(deps, {
        kind: 'schedule',
        routerId: event.routerId,
        hosts: event.hosts,
        revision: event.revision,
      });
    case 'flags.set':
      return onFlagsSet(deps, event.flags, event.revision);
    case 'agent.report':
      return onAgentReport(deps, toAgent(event));
    case 'agent.resync':
      return onAgentResync(deps, event.host, event.networkId);
    case 'agent.applied':
      return onAgentApplied(deps, event);
    case 'agent.audit':
      return onAgentAudit(deps, event);
    case 'vip.claim':
      return onVipClaim(deps, event);
    case 'network.rebuild':
      return onNetworkRebuild(deps, event.networkId, event.requestedBy);
  }
}

/** A port event as the port use-cases take it. */
export function portChangeOf(event: PortEvent): PortChangeEvent {
  return event.type === 'port.upsert'
    ? { network: toNetwork(event.network), next: toPort(event) }
    : {
        network: null,
        next: { id: event.portId, networkId: event.networkId, revision: event.revision, deleted: true },
      };
}

/**
 * The network a port event belongs to: a batch's events of one network are coalesced. A
 * `network.rebuild` runs on its own (null), between the port events queued before and after it.
 */
export const networkOfPortEvent = (event: PortQueueEvent): string | null =>
  event.type === 'port.upsert' ? event.port.networkId : event.type === 'port.delete' ? event.networkId : null;

/** Port events of one network, in queue order, as one commit (`onPortChanges`). */
export function dispatchPortEvents(
  deps: Deps,
  networkId: string,
  events: readonly PortQueueEvent[],
): Promise<PortEventOutcome[]> {
  const changes = events.filter((e): e is PortEvent => e.type === 'port.upsert' || e.type === 'port.delete');
  if (changes.length !== events.length) throw new Error('only port events are coalesced');
  return onPortChanges(deps, networkId, changes.map(portChangeOf));
}

/**
 * The network an agent event is coalesced under: a batch's `vip.claim`s of one network commit
 * together (`onVipClaims`); any other agent event runs on its own (null).
 */
export const networkOfVipClaim = (event: AgentEvent): string | null =>
  event.type === 'vip.claim' ? event.networkId : null;

/** `vip.claim`s of one network, in queue order, as one commit (`onVipClaims`). */
export function dispatchVipClaims(
  deps: Deps,
  networkId: string,
  events: readonly AgentEvent[],
): Promise<VipClaimOutcome[]> {
  const claims = events.filter((e): e is VipClaimEvent => e.type === 'vip.claim');
  if (claims.length !== events.length) throw new Error('only vip.claim events are coalesced');
  return onVipClaims(deps, networkId, claims);
}
