import type { InboundEvent } from '../../src/contracts/events.js';
import { toAgent, toNetwork, toPort } from '../../src/contracts/parse.js';
import { computeDesiredNetwork } from '../../src/core/desired.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { compareOrder } from '../../src/core/ha.js';
import { UNSCHEDULED_REVISION } from '../../src/core/transitions.js';
import type { Agent, AgentTable, FlagSettings, HaRouter, Network, Port } from '../../src/core/types.js';
import {
  checkVipClaim,
  DEFAULT_VIP_CONFIG,
  recordVipClaim,
  type VipConfig,
  type VipState,
} from '../../src/core/vip.js';
import { vipClaimStands } from '../../src/core/vip-binding.js';
import { resolveVipStrategy, type VipView } from '../../src/core/vip-view.js';

/**
 * An independent fold of the valid inbound events into the final facts (newest revision or
 * (term, seq) wins, whatever the delivery order), and the desired tables the core computes from
 * them. The runtime tests and the local A/B run compare every simulated agent against it.
 */
export function createFactOracle(
  defaultFlags: FlagSettings = DEFAULT_FLAGS,
  vipConfig: VipConfig = DEFAULT_VIP_CONFIG,
) {
  const networks = new Map<string, Network>();
  const ports = new Map<string, { revision: number; port: Port | null; networkId: string }>();
  const agents = new Map<string, Agent>();
  const routers = new Map<string, HaRouter>();
  let flags = { flags: defaultFlags, revision: 0 };
  /**
   * VIP claims, folded in the order given: accepted against the port as folded so far (so claims
   * belong after the ports they name), ordered by (at, host, seq) as the controller orders them.
   */
  const vips = new Map<
    string,
    { networkId: string; ip: string; state: VipState; holders: Record<string, string> }
  >();
  /**
   * A port's new fact takes from it the VIPs it may no longer announce (docs/vip.md, "A binding is
   * tied to its port"), checked here against every VIP of its network, not only the ones the
   * controller reads: the owner's binding if its claim no longer stands, the port's holder entry
   * if it may no longer announce the VIP from the host it claimed from.
   */
  function unbind(portId: string, networkId: string, port: Port | undefined): void {
    for (const [key, v] of vips) {
      if (v.networkId !== networkId) continue;
      const host = v.holders[portId];
      const holders = { ...v.holders };
      if (
        host !== undefined &&
        !vipClaimStands(port, { networkId, ip: v.ip, host, portId, mac: port?.mac ?? '' })
      )
        delete holders[portId];
      const owner = v.state.owner;
      const state =
        owner && owner.portId === portId && !vipClaimStands(port, owner)
          ? { ...v.state, owner: null, moves: [], frozen: null }
          : v.state;
      vips.set(key, { ...v, state, holders });
    }
  }
  /**
   * An address a bound port holds as a fixed IP is that port's (docs/vip.md, "Overlap with another
   * port's fixed IP"): restated as a level, after every port fact, no VIP at a held address keeps
   * another port as owner or holder; and a claim of it from another port is refused (below).
   */
  const holderOf = (networkId: string, ip: string): string | undefined =>
    livePorts(networkId).find((p) => (p.host !== '' || p.dvrHosts.length > 0) && p.ips.includes(ip))?.id;
  function withdrawHeld(networkId: string): void {
    for (const [key, v] of vips) {
      const held = v.networkId === networkId ? holderOf(networkId, v.ip) : undefined;
      if (held === undefined) continue;
      const holders = Object.fromEntries(Object.entries(v.holders).filter(([id]) => id === held));
      const owner = v.state.owner;
      const state =
        owner && owner.portId !== held ? { ...v.state, owner: null, moves: [], frozen: null } : v.state;
      vips.set(key, { ...v, state, holders });
    }
  }
  const router = (id: string): HaRouter =>
    routers.get(id) ?? { id, hosts: [], states: {}, revision: UNSCHEDULED_REVISION, version: 0 };

  function apply(e: InboundEvent): void {
    switch (e.type) {
      case 'port.upsert': {
        if (!networks.has(e.network.id)) networks.set(e.network.id, toNetwork(e.network));
        const cur = ports.get(e.port.id);
        if (!cur || e.port.revision > cur.revision) {
          const port = toPort(e);
          ports.set(e.port.id, { revision: e.port.revision, port, networkId: e.port.networkId });
          unbind(port.id, port.networkId, port);
          withdrawHeld(port.networkId);
        }
        return;
      }
      case 'port.delete': {
        const cur = ports.get(e.portId);
        if (!cur || e.revision > cur.revision) {
          ports.set(e.portId, { revision: e.revision, port: null, networkId: e.networkId });
          unbind(e.portId, e.networkId, undefined);
        }
        return;
      }
      case 'agent.report': {
        const cur = agents.get(e.host);
        if (!cur || e.revision > cur.revision) agents.set(e.host, toAgent(e));
        return;
      }
      case 'ha.state': {
        const r = router(e.routerId);
        const prev = r.states[e.host];
        const order = { term: e.term, seq: e.seq };
        if (!prev || compareOrder(order, prev.order) > 0)
          routers.set(r.id, { ...r, states: { ...r.states, [e.host]: { state: e.state, order } } });
        return;
      }
      case 'ha.schedule': {
        const r = router(e.routerId);
        if (e.revision > r.revision)
          routers.set(r.id, { ...r, hosts: [...new Set(e.hosts)].sort(), revision: e.revision });
        return;
      }
      case 'flags.set':
        if (e.revision > flags.revision) flags = { flags: e.flags, revision: e.revision };
        return;
      case 'vip.claim': {
        const { type: _t, v: _v, ...claim } = e;
        const port = ports.get(claim.portId)?.port ?? undefined;
        if (checkVipClaim(port, claim, Number.MAX_SAFE_INTEGER, vipConfig) || port?.ips.includes(claim.ip))
          return;
        const held = holderOf(claim.networkId, claim.ip);
        if (held !== undefined && held !== claim.portId) return;
        const key = `${claim.networkId}|${claim.ip}`;
        const cur = vips.get(key);
        const outcome = recordVipClaim(cur?.state, claim, vipConfig);
        if (outcome.kind === 'stale') return;
        vips.set(key, {
          networkId: claim.networkId,
          ip: claim.ip,
          state: outcome.state,
          holders: { ...cur?.holders, [claim.portId]: claim.host },
        });
        return;
      }
      case 'agent.resync':
        return;
    }
  }

  const livePorts = (networkId?: string): Port[] =>
    [...ports.values()]
      .filter((p) => p.port && (networkId === undefined || p.networkId === networkId))
      .map((p) => p.port as Port);

  /** The network's VIPs as the controller should reflect them, the strategy from the flags now. */
  function vipViews(networkId: string): VipView[] {
    return [...vips.values()]
      .flatMap((v) => {
        const owner = v.state.owner;
        if (v.networkId !== networkId || !owner) return [];
        return [
          {
            ip: v.ip,
            host: owner.host,
            portId: owner.portId,
            mac: owner.mac,
            strategy: resolveVipStrategy(flags.flags, networkId, v.ip, owner.portId).strategy,
            hosting: [...new Set(Object.values(v.holders))].sort(),
          },
        ];
      })
      .sort((a, b) => (a.ip < b.ip ? -1 : 1));
  }

  /** Network id -> host -> desired table, for every network seen. */
  function desired(): Map<string, Map<string, AgentTable>> {
    const out = new Map<string, Map<string, AgentTable>>();
    for (const network of networks.values()) {
      const facts = {
        network,
        agents,
        ports: livePorts(network.id),
        routers,
        flags: flags.flags,
        vips: vipViews(network.id),
      };
      out.set(network.id, new Map(computeDesiredNetwork(facts).views));
    }
    return out;
  }

  return {
    apply,
    desired,
    hosts: () => [...agents.keys()].sort(),
    networks: () => [...networks.keys()].sort(),
    network: (id: string) => networks.get(id),
    livePorts,
    agent: (host: string) => agents.get(host),
    router: (id: string) => routers.get(id),
    flags: () => flags,
    vips: vipViews,
  };
}

export type FactOracle = ReturnType<typeof createFactOracle>;
