import type { InboundEvent, PortUpsertEvent } from '../../src/contracts/events.js';
import { toNetwork } from '../../src/contracts/parse.js';
import { pairCovers } from '../../src/core/aap.js';
import { compareOrder } from '../../src/core/ha.js';
import { computeMember } from '../../src/core/membership.js';
import { isKnownDeviceOwner, OWNER } from '../../src/core/owners.js';
import type { Agent, HaOrder, Network } from '../../src/core/types.js';
import type { FailoverSpec, Phase } from './scenario.js';

/**
 * Names what a scenario or event list asks for that the controller will not act on: an event it
 * rejects (unknown device owner, a port naming another network, a duplicate MAC...), one it drops
 * as stale (a revision or (term, seq) that does not grow), and facts that make no difference (a
 * port on a host no agent reports for, an HA router with no HA interface port or no hosts). Each
 * valid by the schema, so the run would go ahead and report `n/a` or nothing where the author
 * expected figures. The rules are the use-cases' own (src/app/on-*.ts, src/core/transitions.ts,
 * src/core/contribution.ts); docs/integration.md lists them per event.
 */
export interface ScenarioInput {
  readonly events: readonly InboundEvent[];
  /** Failovers the scenario asks the run to perform (not from events). */
  readonly failovers?: readonly FailoverSpec[];
  /**
   * The input is everything the controller will see, as in `l2pop ab`/`local`, which start from an
   * empty stack: then what the input lacks (an agent report, a router's schedule or HA port, the
   * network a delete names) is missing for the controller too. Off for `l2pop send`, whose stack
   * may already hold those facts: only the rules that the input's own events decide apply.
   */
  readonly complete: boolean;
}

interface PortFact {
  readonly networkId: string;
  readonly revision: number;
  readonly live: PortUpsertEvent['port'] | null;
}

function label(i: number, e: InboundEvent): string {
  const what =
    e.type === 'port.upsert'
      ? `port ${e.port.id}`
      : e.type === 'port.delete'
        ? `port ${e.portId}`
        : e.type === 'ha.state' || e.type === 'ha.schedule'
          ? `router ${e.routerId}${e.type === 'ha.state' ? ` on ${e.host}` : ''}`
          : e.type === 'flags.set'
            ? `revision ${e.revision}`
            : e.type === 'network.rebuild'
              ? `network ${e.networkId}`
              : `host ${e.host}`;
  return `event ${i + 1} (${e.type}, ${what})`;
}

const HA_HINT = `an HA router's interface port has device owner "${OWNER.haInterface}" and the router id as device id`;

/** The warnings for a scenario run from an empty stack: its phases' events in order, and its failovers. */
export function computePhaseWarnings(phases: readonly Phase[]): string[] {
  return computeScenarioWarnings({
    events: phases.flatMap((p) => p.events),
    failovers: phases.flatMap((p) => (p.failover && p.failover.reports === 'generate' ? [p.failover] : [])),
    complete: true,
  });
}

/** The warnings for one input, in the order of the events they name, each naming its event. */
export function computeScenarioWarnings(input: ScenarioInput): string[] {
  const out: string[] = [];
  const networks = new Map<string, Network>();
  const ports = new Map<string, PortFact>();
  const macs = new Map<string, string>();
  const agents = new Map<string, Agent & { revision: number }>();
  const routers = new Map<string, { revision: number | null; hosts: string[]; everHosts: boolean }>();
  const haStates = new Map<string, HaOrder>();
  const boundHosts = new Map<string, Set<string>>();
  const haPorts = new Map<string, string[]>();
  const routerRefs = new Map<string, string>();
  const otherOwners = new Map<string, string[]>();
  let flagsRevision = 0;
  const reported = new Set(input.events.flatMap((e) => (e.type === 'agent.report' ? [e.host] : [])));

  const router = (id: string) => {
    let r = routers.get(id);
    if (!r) routers.set(id, (r = { revision: null, hosts: [], everHosts: false }));
    return r;
  };

  const onPortUpsert = (at: string, e: PortUpsertEvent) => {
    const { port } = e;
    if (!isKnownDeviceOwner(port.deviceOwner)) {
      const hint = /ha|router/i.test(port.deviceOwner) ? `; ${HA_HINT}` : '';
      out.push(
        `${at}: device owner ${JSON.stringify(port.deviceOwner)} is unknown, the controller rejects the event (unknown_device_owner)${hint}`,
      );
      return;
    }
    if (port.networkId !== e.network.id) {
      out.push(
        `${at}: the port names network ${port.networkId} but the event carries network ${e.network.id}, the controller rejects it`,
      );
      return;
    }
    const net = networks.get(e.network.id);
    if (net && (net.networkType !== e.network.networkType || net.segmentId !== e.network.segmentId)) {
      out.push(
        `${at}: network ${net.id} was ${net.networkType}/${net.segmentId}, this event says ${e.network.networkType}/${e.network.segmentId}: the controller rejects it (segment_mismatch)`,
      );
      return;
    }
    const cur = ports.get(port.id);
    if (cur && port.revision <= cur.revision) {
      out.push(
        `${at}: revision ${port.revision} does not grow (the port is at ${cur.revision}), the controller drops it as stale`,
      );
      return;
    }
    if (cur && cur.networkId !== port.networkId) {
      out.push(
        `${at}: the port was in network ${cur.networkId}, a port never changes network: the controller rejects it`,
      );
      return;
    }
    if (cur?.live?.status === 'ACTIVE' && cur.live.mac !== port.mac) {
      out.push(`${at}: the MAC of an ACTIVE port cannot change, the controller rejects it`);
      return;
    }
    const owner = macs.get(`${port.networkId} ${port.mac.toLowerCase()}`);
    if (owner !== undefined && owner !== port.id) {
      out.push(
        `${at}: MAC ${port.mac} is already used by port ${owner} in this network, the controller rejects it (duplicate_mac)`,
      );
      return;
    }
    if (!net) networks.set(e.network.id, toNetwork(e.network));
    if (cur?.live) macs.delete(`${cur.networkId} ${cur.live.mac.toLowerCase()}`);
    macs.set(`${port.networkId} ${port.mac.toLowerCase()}`, port.id);
    ports.set(port.id, { networkId: port.networkId, revision: port.revision, live: port });
    if (port.host !== '' && port.status === 'ACTIVE') {
      if (input.complete && !reported.has(port.host))
        out.push(
          `${at}: host ${port.host} has no agent.report anywhere in the input: no agent there gets commands, and no other agent an entry for this port (no VTEP)`,
        );
      boundHosts.set(port.host, (boundHosts.get(port.host) ?? new Set()).add(port.networkId));
    }
    if (port.deviceOwner === OWNER.haInterface) {
      haPorts.set(port.deviceId, [...(haPorts.get(port.deviceId) ?? []), port.id]);
      routerRefs.set(port.deviceId, routerRefs.get(port.deviceId) ?? at);
    } else if (port.deviceId !== '')
      otherOwners.set(port.deviceId, [
        ...(otherOwners.get(port.deviceId) ?? []),
        `port ${port.id} (${port.deviceOwner || 'no owner'})`,
      ]);
  };

  input.events.forEach((e, i) => {
    const at = label(i, e);
    switch (e.type) {
      case 'port.upsert':
        onPortUpsert(at, e);
        return;
      case 'port.delete': {
        const cur = ports.get(e.portId);
        if (input.complete && !networks.has(e.networkId)) {
          out.push(
            `${at}: network ${e.networkId} is unknown (no port.upsert of it before), the controller rejects the event (unknown_network)`,
          );
          return;
        }
        if (cur && e.revision <= cur.revision) {
          out.push(
            `${at}: revision ${e.revision} does not grow (the port is at ${cur.revision}), the controller drops it as stale`,
          );
          return;
        }
        if (input.complete && !cur)
          out.push(`${at}: no earlier event created this port, deleting it changes nothing`);
        if (cur?.live) macs.delete(`${cur.networkId} ${cur.live.mac.toLowerCase()}`);
        ports.set(e.portId, { networkId: e.networkId, revision: e.revision, live: null });
        return;
      }
      case 'ha.state': {
        const key = `${e.routerId} ${e.host}`;
        const prev = haStates.get(key);
        const order = { term: e.term, seq: e.seq };
        if (prev && compareOrder(order, prev) <= 0) {
          out.push(
            `${at}: (term ${e.term}, seq ${e.seq}) does not grow for this router and host (last (${prev.term}, ${prev.seq})), the controller drops it as stale`,
          );
          return;
        }
        haStates.set(key, order);
        const r = router(e.routerId);
        routerRefs.set(e.routerId, routerRefs.get(e.routerId) ?? at);
        const later = input.events
          .slice(i + 1)
          .some((x) => x.type === 'ha.schedule' && x.routerId === e.routerId && x.hosts.includes(e.host));
        if (input.complete && !r.hosts.includes(e.host) && !later)
          out.push(
            `${at}: ${e.host} is not among the router's hosts (${r.hosts.join(', ') || 'none: no ha.schedule'}) and no later ha.schedule adds it, so no master is chosen from this report`,
          );
        return;
      }
      case 'ha.schedule': {
        const r = router(e.routerId);
        if (r.revision !== null && e.revision <= r.revision) {
          out.push(
            `${at}: revision ${e.revision} does not grow (the router is at ${r.revision}), the controller drops it as stale`,
          );
          return;
        }
        if (input.complete && e.hosts.length === 0 && !r.everHosts)
          out.push(`${at}: removes a router that was never scheduled, nothing changes`);
        routers.set(e.routerId, {
          revision: e.revision,
          hosts: [...new Set(e.hosts)].sort(),
          everHosts: r.everHosts || e.hosts.length > 0,
        });
        if (e.hosts.length > 0) routerRefs.set(e.routerId, routerRefs.get(e.routerId) ?? at);
        return;
      }
      case 'flags.set':
        if (e.revision <= flagsRevision)
          out.push(
            `${at}: revision ${e.revision} does not grow (the flags are at ${flagsRevision}; the first flags.set needs revision 1 or more), the controller drops it as stale`,
          );
        else flagsRevision = e.revision;
        return;
      case 'agent.report': {
        const cur = agents.get(e.host);
        if (cur && e.revision <= cur.revision) {
          out.push(
            `${at}: revision ${e.revision} does not grow (the agent is at ${cur.revision}), the controller drops it as stale`,
          );
          return;
        }
        agents.set(e.host, { ...e, networkTypes: [...e.networkTypes] });
        return;
      }
      case 'vip.claim': {
        // what `checkVipClaim` refuses, against the ports as the input has them so far
        const port = ports.get(e.portId)?.live;
        const pairs = (port?.allowedAddressPairs ?? []).map((a) => ({
          ipAddress: a.ipAddress,
          macAddress: a.macAddress ?? port?.mac ?? '',
        }));
        const covering = pairs.filter((a) => pairCovers(a, e.ip));
        const why = !port
          ? 'its port is unknown or deleted'
          : port.networkId !== e.networkId
            ? `its port is in network ${port.networkId}`
            : port.host !== e.host
              ? `its port is bound to ${port.host || 'no host'}`
              : covering.length === 0
                ? `no allowed-address pair of port ${port.id} covers ${e.ip}`
                : !covering.some((a) => a.macAddress === e.mac) && port.mac !== e.mac
                  ? `${e.mac} is neither the pair's MAC nor the port's`
                  : null;
        if (why) out.push(`${at}: the controller refuses this claim (docs/vip.md): ${why}`);
        return;
      }
      case 'agent.resync':
        if (input.complete && !agents.has(e.host))
          out.push(`${at}: no agent.report of this host came before, the controller has nothing to resync`);
        return;
    }
  });

  for (const [host, nets] of boundHosts) {
    const agent = agents.get(host);
    if (!agent) continue;
    for (const id of [...nets].sort()) {
      const network = networks.get(id);
      if (network && computeMember(agent, network) === null)
        out.push(
          `host ${host}: its agent ${agent.tunnelIp === null ? 'has no tunnel IP' : `does not l2pop ${network.networkType} (network types: ${agent.networkTypes.join(', ') || 'none'})`}, so it takes no part in network ${id}: its ports get no entries elsewhere and it gets no commands for the network`,
        );
    }
  }
  if (!input.complete) return out;
  for (const f of input.failovers ?? []) routerRefs.set(f.router, routerRefs.get(f.router) ?? 'a failover');
  for (const [id, first] of [...routerRefs].sort(([a], [b]) => a.localeCompare(b))) {
    const r = routers.get(id);
    if (!haPorts.has(id)) {
      const others = otherOwners.get(id);
      out.push(
        `router ${id} (first named by ${first}): no port of the input is its HA interface, so no strategy applies to it and its failovers measure nothing (n/a); ${HA_HINT}${others ? `; ports with this device id: ${others.join(', ')}` : ''}`,
      );
    } else if (!r?.everHosts)
      out.push(
        `router ${id}: no ha.schedule gives it hosts, so its HA interface ports (${haPorts.get(id)?.join(', ')}) put no entry anywhere`,
      );
  }
  for (const f of input.failovers ?? []) {
    const hosts = routers.get(f.router)?.hosts ?? [];
    for (const h of [f.from, f.to])
      if (hosts.length > 0 && !hosts.includes(h))
        out.push(
          `failover of router ${f.router} ${f.from} → ${f.to}: ${h} is not among the router's hosts (${hosts.join(', ')})`,
        );
  }
  return out;
}
