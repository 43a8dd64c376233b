import type { AgentTable } from '../../src/core/types.js';
import { createFabric, type Fabric, type VtepNode } from './dataplane.js';

/** A VM that pings the HA address of its network: its router's interface, or a VIP. */
export interface ProbeVm {
  readonly host: string;
  readonly networkId: string;
  readonly mac: string;
  readonly ip: string;
}

/**
 * One address that VRRP moves between nodes: the same MAC and IP on every node that may hold it.
 * An HA router's port in one network is one; so is a keepalived VIP with a virtual MAC
 * (`use_vmac`) held by one of a pair of VMs, whose "nodes" are the VMs' hosts.
 */
export interface HaAddress {
  readonly networkId: string;
  readonly mac: string;
  readonly ip: string;
  /**
   * The master sends its VRRP advertisements into this network from this MAC: a `use_vmac` VIP,
   * whose adverts leave through the virtual-MAC interface with that MAC as source (RFC 5798 §7.3;
   * keepalived unless `vmac_xmit_base`). They are multicast, so flooded, and teach learning agents
   * where the MAC is even where an ARP proxy eats the GARPs. An HA router's adverts travel on its
   * HA network instead: not here.
   */
  readonly adverts?: boolean;
}

/** An HA router's port in one network. */
export type RouterInterface = HaAddress;

/** An agent's table for a network changed at `at` ms after the failure (negative: before). */
export interface TableChange {
  readonly at: number;
  readonly host: string;
  readonly networkId: string;
  readonly table: AgentTable;
}

/** VRRP timing, as measured with keepalived (docs/dataplane.md §6). */
export interface VrrpTiming {
  /** Failure to the new master holding the VIP: ~815 ms graceful, ~3.5 s on a node loss. */
  readonly takeoverMs: number;
  /** keepalived sends a second GARP batch this long after the first (`garp_master_delay`, 5 s). */
  readonly garpRepeatMs: number;
  /** The master's advertisement interval (`advert_int`, 1 s on the beds); only addresses with `adverts` use it. */
  readonly advertMs?: number;
}

export interface FailoverInput {
  readonly nodes: readonly VtepNode[];
  /** Tables held when the failure happens. */
  readonly initial: readonly Omit<TableChange, 'at'>[];
  /** Later table changes (the controller's commands as the agents applied them), in time order. */
  readonly changes: readonly TableChange[];
  /** The addresses that move, at most one per network: a router's interfaces, or a VIP. */
  readonly interfaces: readonly HaAddress[];
  readonly vms: readonly ProbeVm[];
  /** The host of the VRRP master before the failure (null: none). */
  readonly from: string | null;
  readonly to: string;
  /**
   * `graceful`: the old master drops the address at t=0; `node-loss`: its whole node goes dark;
   * `vm-loss`: the VM holding a VIP dies, its host stays up: for the data plane the same as
   * `graceful` (nothing answers for the address until the takeover), with the longer takeover.
   */
  readonly mode: 'graceful' | 'node-loss' | 'vm-loss';
  readonly vrrp: VrrpTiming;
  readonly ageingMs?: number;
  /** Probe interval (ping -i 0.01 really sent one every ~16 ms on the bed). */
  readonly stepMs?: number;
  readonly warmupMs?: number;
  readonly windowMs: number;
}

export interface VmOutcome {
  readonly host: string;
  readonly networkId: string;
  readonly ip: string;
  /** A reply came back before the failure. */
  readonly okBefore: boolean;
  /** ms from the failure to the first reply after it; null if none came within the window. */
  readonly firstReplyMs: number | null;
  /** Last reply before the failure to first reply after it, as the bed measured; null: never. */
  readonly outageMs: number | null;
  /** Copies of one frame to the router MAC in the steady state before the failure. */
  readonly copiesPerFrame: number;
  /** Copies of the probe frames to the router MAC put on the underlay within the window. */
  readonly copies: number;
}

export interface FailoverOutcome {
  readonly vms: readonly VmOutcome[];
  /** GARPs the new master's node put on the underlay (0 where its agent eats them). */
  readonly garpCopies: number;
}

interface VmState {
  readonly vm: ProbeVm;
  readonly rif: HaAddress;
  resolved: boolean;
  lastBefore: number | null;
  firstAfter: number | null;
  steady: number;
  copies: number;
}

/** One ping: VM ARPs for the address if needed, echo request, the master's ARP for the VM, echo reply. */
function probe(fabric: Fabric, s: VmState, master: string | null, neigh: Map<string, string>, t: number) {
  const { vm, rif } = s;
  const routerUp = master !== null && fabric.isUp(master);
  if (!s.resolved) {
    const ask = fabric.transmit(
      vm.host,
      vm.networkId,
      { kind: 'arp-request', src: vm.mac, targetIp: rif.ip },
      t,
    );
    if (ask.outcome === 'answered') s.resolved = true;
    else if (routerUp && ask.reached.includes(master)) {
      const reply = fabric.transmit(
        master,
        vm.networkId,
        { kind: 'arp-reply', src: rif.mac, dst: vm.mac },
        t,
      );
      s.resolved = reply.reached.includes(vm.host);
    }
    if (!s.resolved) return { ok: false, copies: 0 };
  }
  const req = fabric.transmit(vm.host, vm.networkId, { kind: 'unicast', src: vm.mac, dst: rif.mac }, t);
  if (!routerUp || !req.reached.includes(master)) return { ok: false, copies: req.copies };
  const nk = `${vm.networkId}|${vm.ip}`;
  if (!neigh.has(nk)) {
    const ask = fabric.transmit(
      master,
      vm.networkId,
      { kind: 'arp-request', src: rif.mac, targetIp: vm.ip },
      t,
    );
    if (ask.outcome === 'answered' && ask.answer) neigh.set(nk, ask.answer);
    else if (ask.reached.includes(vm.host)) {
      const reply = fabric.transmit(
        vm.host,
        vm.networkId,
        { kind: 'arp-reply', src: vm.mac, dst: rif.mac },
        t,
      );
      if (reply.reached.includes(master)) neigh.set(nk, vm.mac);
    }
    if (!neigh.has(nk)) return { ok: false, copies: req.copies };
  }
  const back = fabric.transmit(master, vm.networkId, { kind: 'unicast', src: rif.mac, dst: vm.mac }, t);
  return { ok: back.reached.includes(vm.host), copies: req.copies };
}

/**
 * The new master's GARPs for every address: flooded where its agent lets them out (learning agents
 * learn the MAC from them), and taken by every VM still resolving the address. A kernel takes a
 * gratuitous ARP for an address it holds an entry for, even an incomplete one while it resolves
 * (docs/vip.md, "Findings": a client behind an ARP proxy that never got an answer reached the VIP
 * from the new master's GARP). Returns the copies put on the underlay.
 */
function sendGarps(fabric: Fabric, input: FailoverInput, states: readonly VmState[], t: number): number {
  let copies = 0;
  for (const rif of input.interfaces) {
    const garp = fabric.transmit(input.to, rif.networkId, { kind: 'garp', src: rif.mac, ip: rif.ip }, t);
    copies += garp.copies;
    for (const s of states)
      if (s.rif === rif && !s.resolved && garp.reached.includes(s.vm.host)) s.resolved = true;
  }
  return copies;
}

/**
 * Replays one HA failover through the data-plane model, in simulated time, with every VM pinging
 * the HA address of its network each `stepMs`:
 *
 *   -warmup ....... 0 ........... takeoverMs ........... takeoverMs + garpRepeatMs ..... window
 *   steady traffic  failure        new master has the VIP,  second GARP batch
 *   (learning)      (VIP gone or   sends 3 GARPs (and an
 *                   node dark)     advert); its neighbour
 *                                  cache is empty
 *
 * Where the address has `adverts`, the master of the moment also floods an advertisement every
 * `advertMs` (from -warmup before the failure, from the takeover after it). The agents' tables
 * change at the times the real controller's commands were applied. The outage of a VM is the
 * bed's figure: last reply before the failure to first reply after it.
 */
export function simulateFailover(input: FailoverInput): FailoverOutcome {
  const step = input.stepMs ?? 10;
  const warmup = input.warmupMs ?? 1000;
  const fabric = createFabric(input.nodes, input.ageingMs === undefined ? {} : { ageingMs: input.ageingMs });
  for (const t of input.initial) fabric.setTable(t.host, t.networkId, t.table);
  const byNet = new Map(input.interfaces.map((r) => [r.networkId, r]));
  const states: VmState[] = input.vms.flatMap((vm) => {
    const rif = byNet.get(vm.networkId);
    return rif
      ? [{ vm, rif, resolved: false, lastBefore: null, firstAfter: null, steady: 0, copies: 0 }]
      : [];
  });
  const neighbours = new Map<string, Map<string, string>>();
  const neighOf = (host: string) => neighbours.get(host) ?? neighbours.set(host, new Map()).get(host);
  const garpAt = [input.vrrp.takeoverMs, input.vrrp.takeoverMs + input.vrrp.garpRepeatMs];
  const advertising = input.interfaces.filter((r) => r.adverts);
  const advertMs = input.vrrp.advertMs ?? 1000;
  let nextAdvert = -warmup;
  let next = 0;
  let garpCopies = 0;
  let failed = false;
  for (let t = -warmup; t <= input.windowMs; t += step) {
    for (; next < input.changes.length && (input.changes[next]?.at ?? Infinity) <= t; next++) {
      const c = input.changes[next] as TableChange;
      fabric.setTable(c.host, c.networkId, c.table);
    }
    if (t >= 0 && !failed) {
      failed = true;
      nextAdvert = input.vrrp.takeoverMs;
      if (input.mode === 'node-loss' && input.from) fabric.setUp(input.from, false);
    }
    const master = t < 0 ? input.from : t >= input.vrrp.takeoverMs ? input.to : null;
    if (master !== null && t >= nextAdvert) {
      nextAdvert += advertMs;
      for (const rif of advertising)
        fabric.transmit(master, rif.networkId, { kind: 'multicast', src: rif.mac }, t);
    }
    while (garpAt.length > 0 && (garpAt[0] as number) <= t) {
      garpAt.shift();
      garpCopies += sendGarps(fabric, input, states, t);
    }
    for (const s of states) {
      const r = probe(fabric, s, master, master ? (neighOf(master) as Map<string, string>) : new Map(), t);
      if (t < 0) {
        if (r.ok) s.lastBefore = t;
        s.steady = r.copies;
      } else {
        s.copies += r.copies;
        if (r.ok && s.firstAfter === null) s.firstAfter = t;
      }
    }
  }
  return {
    garpCopies,
    vms: states.map((s) => ({
      host: s.vm.host,
      networkId: s.vm.networkId,
      ip: s.vm.ip,
      okBefore: s.lastBefore !== null,
      firstReplyMs: s.firstAfter,
      outageMs: s.lastBefore !== null && s.firstAfter !== null ? s.firstAfter - s.lastBefore : null,
      copiesPerFrame: s.steady,
      copies: s.copies,
    })),
  };
}
