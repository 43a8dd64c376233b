import { isFloodingEntry } from '../../src/core/agent-protocol.js';
import type { AgentCapabilities, AgentTable } from '../../src/core/types.js';

/** One hypervisor's VTEP: where it is on the underlay and how its agent forwards. */
export interface VtepNode {
  readonly host: string;
  readonly tunnelIp: string;
  readonly capabilities: AgentCapabilities;
}

/** A frame handed to the sending host's virtual switch by a local VM or router port. */
export type Frame =
  | { readonly kind: 'unicast'; readonly src: string; readonly dst: string }
  | { readonly kind: 'arp-request'; readonly src: string; readonly targetIp: string }
  | { readonly kind: 'arp-reply'; readonly src: string; readonly dst: string }
  | { readonly kind: 'garp'; readonly src: string; readonly ip: string }
  /** A multicast frame that is not ARP, such as a VRRP advertisement: flooded whatever the ARP mode. */
  | { readonly kind: 'multicast'; readonly src: string };

/** What the sending switch did with a frame. */
export interface Transmission {
  /** `answered`: an ARP request answered locally; `dropped`: nothing left the host. */
  readonly outcome: 'sent' | 'answered' | 'dropped';
  /** The MAC of a locally answered ARP request. */
  readonly answer?: string;
  /** How the destination was found: a permanent l2pop entry, a learned one, or flooding. */
  readonly via: 'static' | 'learned' | 'flood' | 'local';
  /** Copies put on the underlay: one per destination VTEP. */
  readonly copies: number;
  /** Hosts whose VTEP received a copy (hosts that are up). */
  readonly reached: readonly string[];
}

interface NetworkView {
  readonly flood: readonly string[];
  /** MAC -> tunnel IPs of its permanent unicast entries. */
  readonly unicast: ReadonlyMap<string, readonly string[]>;
  /** IP -> MAC: the ARP entries an agent answers from (the l2pop `[mac, ip]` pairs). */
  readonly arp: ReadonlyMap<string, string>;
}

const EMPTY_VIEW: NetworkView = { flood: [], unicast: new Map(), arp: new Map() };

function viewOf(table: AgentTable): NetworkView {
  const flood: string[] = [];
  const unicast = new Map<string, string[]>();
  const arp = new Map<string, string>();
  for (const [tunnelIp, entries] of Object.entries(table)) {
    for (const entry of entries) {
      if (isFloodingEntry(entry)) {
        flood.push(tunnelIp);
        continue;
      }
      const [mac, ip] = entry;
      unicast.set(mac, [...(unicast.get(mac) ?? []), tunnelIp]);
      arp.set(ip, mac);
    }
  }
  return { flood: flood.sort(), unicast, arp };
}

export interface FabricOptions {
  /** How long a learned entry lives without a frame refreshing it (vxlan `ageing`, 300 s by default). */
  readonly ageingMs?: number;
}

/**
 * The overlay data plane of a set of hypervisors, as measured on the real kernel
 * (docs/dataplane.md §6). Per agent and network it holds the l2pop table (flood list,
 * permanent unicast entries, ARP entries) and, when the agent learns, the MACs learned from frames
 * arriving over tunnels. Forwarding a unicast frame prefers a permanent entry (learning never
 * overrides one, finding 1), then a learned entry, then floods. ARP handling follows the agent's
 * mode:
 * - `off`: ARP is forwarded like any other frame;
 * - `responder` (Open vSwitch): answers requests it has an entry for, floods the rest, GARPs too;
 * - `proxy` (kernel VXLAN): answers from its entries, drops unknown requests, and drops every ARP
 *   reply and GARP a local port sends (findings 2 and 3).
 * Other multicast (a VRRP advertisement) is flooded in every mode: the proxy only touches ARP.
 */
export function createFabric(nodes: readonly VtepNode[], options: FabricOptions = {}) {
  const ageingMs = options.ageingMs ?? 300_000;
  const byHost = new Map(nodes.map((n) => [n.host, n]));
  const byIp = new Map(nodes.map((n) => [n.tunnelIp, n.host]));
  const views = new Map<string, NetworkView>();
  const learned = new Map<string, Map<string, { tunnelIp: string; at: number }>>();
  const down = new Set<string>();
  const key = (host: string, networkId: string) => `${host}\u0000${networkId}`;

  const node = (host: string): VtepNode => {
    const n = byHost.get(host);
    if (!n) throw new Error(`unknown host ${host}`);
    return n;
  };
  const view = (host: string, networkId: string) => views.get(key(host, networkId)) ?? EMPTY_VIEW;

  const learn = (host: string, networkId: string, mac: string, tunnelIp: string, now: number) => {
    if (!node(host).capabilities.learning) return;
    const k = key(host, networkId);
    const table = learned.get(k) ?? new Map();
    table.set(mac, { tunnelIp, at: now });
    learned.set(k, table);
  };

  const learnedVtep = (host: string, networkId: string, mac: string, now: number): string | undefined => {
    if (!node(host).capabilities.learning) return undefined;
    const e = learned.get(key(host, networkId))?.get(mac);
    return e && now - e.at < ageingMs ? e.tunnelIp : undefined;
  };

  const send = (
    from: VtepNode,
    networkId: string,
    src: string,
    vteps: readonly string[],
    via: Transmission['via'],
    now: number,
  ): Transmission => {
    const reached: string[] = [];
    for (const ip of vteps) {
      const host = byIp.get(ip);
      if (host === undefined || host === from.host || down.has(host)) continue;
      reached.push(host);
      learn(host, networkId, src, from.tunnelIp, now);
    }
    return { outcome: 'sent', via, copies: vteps.length, reached };
  };

  const dropped: Transmission = { outcome: 'dropped', via: 'local', copies: 0, reached: [] };

  const unicastTo = (from: VtepNode, networkId: string, src: string, dst: string, now: number) => {
    const v = view(from.host, networkId);
    const permanent = v.unicast.get(dst);
    if (permanent && permanent.length > 0) return send(from, networkId, src, permanent, 'static', now);
    const vtep = learnedVtep(from.host, networkId, dst, now);
    if (vtep) return send(from, networkId, src, [vtep], 'learned', now);
    return send(from, networkId, src, v.flood, 'flood', now);
  };

  return {
    /** Replaces what an agent holds for a network (the l2pop table it applied). */
    setTable(host: string, networkId: string, table: AgentTable): void {
      node(host);
      views.set(key(host, networkId), viewOf(table));
    },
    /** A host that is down neither sends nor receives (a network-node loss). */
    setUp(host: string, up: boolean): void {
      if (up) down.delete(host);
      else down.add(host);
    },
    isUp: (host: string) => !down.has(host),
    /** The MAC an agent would answer an ARP request for `ip` with, if it has the entry. */
    arpEntry: (host: string, networkId: string, ip: string) => view(host, networkId).arp.get(ip),
    learnedVtep,
    /** A local port on `from` sends `frame` into the network at time `now` (ms). */
    transmit(fromHost: string, networkId: string, frame: Frame, now: number): Transmission {
      const from = node(fromHost);
      if (down.has(fromHost)) return dropped;
      const arp = from.capabilities.arp;
      const v = view(fromHost, networkId);
      switch (frame.kind) {
        case 'unicast':
          return unicastTo(from, networkId, frame.src, frame.dst, now);
        case 'arp-request': {
          const answer = arp === 'off' ? undefined : v.arp.get(frame.targetIp);
          if (answer) return { outcome: 'answered', answer, via: 'local', copies: 0, reached: [] };
          if (arp === 'proxy') return dropped;
          return send(from, networkId, frame.src, v.flood, 'flood', now);
        }
        case 'arp-reply':
          return arp === 'proxy' ? dropped : unicastTo(from, networkId, frame.src, frame.dst, now);
        case 'garp':
          return arp === 'proxy' ? dropped : send(from, networkId, frame.src, v.flood, 'flood', now);
        case 'multicast':
          return send(from, networkId, frame.src, v.flood, 'flood', now);
      }
    },
  };
}

export type Fabric = ReturnType<typeof createFabric>;
