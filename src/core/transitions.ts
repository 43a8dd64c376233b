import { InvalidInputError } from './errors.js';
import { compareOrder } from './ha.js';
import type { Agent, HaOrder, HaRouter, HaState, Port } from './types.js';

/**
 * The result of recording a fact: a stale or duplicate fact is an outcome, not an error
 * (style.md §8). `applied` carries the new value.
 */
export type Recorded<T> = { readonly kind: 'applied'; readonly value: T } | { readonly kind: 'stale' };

const STALE = { kind: 'stale' } as const;

/** A deleted port keeps its revision, so a late update for it loses (guarantee 4, docs/architecture.md). */
export interface PortTombstone {
  readonly id: string;
  readonly networkId: string;
  readonly revision: number;
  readonly deleted: true;
}

export type PortRecord = Port | PortTombstone;

export function isTombstone(record: PortRecord | undefined): record is PortTombstone {
  return record !== undefined && 'deleted' in record;
}

/**
 * Records a port update. Equal revisions are duplicates, lower ones stale. Neutron refuses a MAC
 * change on an ACTIVE port (`update_port_precommit`), and a port never changes network.
 */
export function recordPort(current: PortRecord | undefined, next: Port): Recorded<Port> {
  if (current && next.revision <= current.revision) return STALE;
  checkSameNetwork(current, next.id, next.networkId);
  if (current && !isTombstone(current) && current.status === 'ACTIVE' && current.mac !== next.mac) {
    throw new InvalidInputError(
      'mac_change_on_active_port',
      `port ${next.id} is ACTIVE: its MAC cannot change from ${current.mac} to ${next.mac}`,
      {
        portId: next.id,
      },
    );
  }
  return { kind: 'applied', value: next };
}

/** A port never changes network: an upsert or delete that names another one is `network_change`. */
function checkSameNetwork(current: PortRecord | undefined, id: string, networkId: string): void {
  if (current && current.networkId !== networkId) {
    throw new InvalidInputError(
      'network_change',
      `port ${id} lives in network ${current.networkId}, not ${networkId}`,
      { portId: id, networkId: current.networkId, named: networkId },
    );
  }
}

export function recordPortDelete(
  current: PortRecord | undefined,
  id: string,
  networkId: string,
  revision: number,
): Recorded<PortTombstone> {
  if (current && revision <= current.revision) return STALE;
  checkSameNetwork(current, id, networkId);
  return { kind: 'applied', value: { id, networkId, revision, deleted: true } };
}

/** Rejects a port whose MAC another live port of the same network already uses (Neutron MacAddressInUse). */
export function checkMacUnique(port: Port, macOwner: string | undefined): void {
  if (macOwner !== undefined && macOwner !== port.id) {
    throw new InvalidInputError(
      'duplicate_mac',
      `MAC ${port.mac} is already used by port ${macOwner} in network ${port.networkId}`,
      {
        portId: port.id,
        owner: macOwner,
      },
    );
  }
}

/** Rejects a fixed IP another live port of the same network already has (Neutron IpAddressAlreadyAllocated). */
export function checkIpUnique(port: Port, ip: string, owner: string | undefined): void {
  if (owner !== undefined && owner !== port.id) {
    throw new InvalidInputError(
      'duplicate_ip',
      `IP ${ip} is already used by port ${owner} in network ${port.networkId}`,
      { portId: port.id, owner },
    );
  }
}

/**
 * The schedule revision of a router no `ha.schedule` has been recorded for (one that state reports
 * created): below every revision the contract allows (0 and up), so the first schedule always
 * wins whatever arrived before it.
 */
export const UNSCHEDULED_REVISION = -1;

function emptyRouter(id: string): HaRouter {
  return { id, hosts: [], states: {}, revision: UNSCHEDULED_REVISION, version: 0 };
}

/** Records an HA state report; an older or equal (term, seq) for the same host never wins. */
export function recordHaState(
  router: HaRouter | undefined,
  id: string,
  host: string,
  state: HaState,
  order: HaOrder,
): Recorded<HaRouter> {
  const base = router ?? emptyRouter(id);
  const prev = base.states[host];
  if (prev && compareOrder(order, prev.order) <= 0) return STALE;
  return {
    kind: 'applied',
    value: { ...base, states: { ...base.states, [host]: { state, order } }, version: base.version + 1 },
  };
}

/** Records where a router is scheduled. An empty host list means the router is gone. */
export function recordHaSchedule(
  router: HaRouter | undefined,
  id: string,
  hosts: readonly string[],
  revision: number,
): Recorded<HaRouter> {
  const base = router ?? emptyRouter(id);
  if (router && revision <= router.revision) return STALE;
  return {
    kind: 'applied',
    value: { ...base, hosts: [...new Set(hosts)].sort(), revision, version: base.version + 1 },
  };
}

export interface AgentChange {
  readonly agent: Agent;
  /** A new boot id: the agent lost its tables and needs snapshots. */
  readonly restarted: boolean;
}

export function recordAgent(current: Agent | undefined, next: Agent): Recorded<AgentChange> {
  if (current && next.revision <= current.revision) return STALE;
  return {
    kind: 'applied',
    value: { agent: next, restarted: current === undefined || current.bootId !== next.bootId },
  };
}
