import { OWNER } from '../../src/core/owners.js';
import type { AgentTable, HaView, Port } from '../../src/core/types.js';
import type { VtepNode } from './dataplane.js';
import type { FactOracle } from './fact-oracle.js';
import {
  type FailoverOutcome,
  type HaAddress,
  type ProbeVm,
  type RouterInterface,
  simulateFailover,
  type TableChange,
} from './failover-sim.js';
import {
  computeAutoViews,
  diagnoseNoGateway,
  type FailoverSubject,
  type NoGateway,
} from './gateway-diagnosis.js';
import type { FailoverSpec, VrrpSettings } from './scenario.js';
import type { ApplyRecord, SimFleet } from './sim-fleet.js';

/** The tables every agent held when taken (`takenAt`), standing for the failure at `at`. */
export interface TableSnapshot {
  readonly at: number;
  readonly takenAt: number;
  readonly tables: readonly { host: string; networkId: string; table: AgentTable }[];
}

/** The tables now, standing for the failure at `at` (earlier, when the reports come with the events). */
export function snapshotTables(
  fleet: SimFleet,
  networks: readonly string[],
  takenAt: number,
  at = takenAt,
): TableSnapshot {
  const tables = fleet
    .hosts()
    .flatMap((host) =>
      networks.map((networkId) => ({ host, networkId, table: fleet.table(host, networkId) })),
    );
  return { at, takenAt, tables };
}

/** What a router failover and a VIP failover share: the data plane replayed over the agents' applies. */
export interface FailoverReplay {
  /** When the failure happened and when the first event of the takeover was sent (the new master's report, the new owner's claim). */
  readonly t0: number;
  readonly reportAt: number;
  readonly takeoverMs: number;
  /** Report to the last agent that applied a command; null when no agent needed one. */
  readonly convergenceMs: number | null;
  /** Agent applies after the failure, ms after it. */
  readonly applies: readonly { at: number; host: string; networkId: string }[];
  /** The data plane with the controller's commands as applied. */
  readonly live: FailoverOutcome;
  /** The same failover if the controller had not reacted (a stale binding stays stale). */
  readonly frozen: FailoverOutcome;
  readonly vrrp: VrrpSettings;
  /** VMs without a path after the failover, and why (`diagnoseNoGateway`). */
  readonly noGateway: readonly NoGateway[];
  /** The same with the controller down. */
  readonly noGatewayControllerDown: readonly NoGateway[];
  /** The view each agent of the address's networks gets of it under `auto` (`computeRouterView`). */
  readonly autoViews: readonly { host: string; networkId: string; view: HaView }[];
}

/** One router failover as it happened on the local stack. */
export interface FailoverRun extends FailoverReplay {
  readonly spec: FailoverSpec;
  /** The router's HA interfaces found in the facts; none means no port was recognised as one. */
  readonly interfaces: number;
  /** Other device owners the router's ports carry (a port with one of these is not an HA interface). */
  readonly otherOwners: readonly string[];
}

/** The VMs that ping: ACTIVE, bound compute ports in `networks`, but those `skip` names. */
export function probeVms(
  oracle: FactOracle,
  networks: ReadonlySet<string>,
  skip: (p: Port) => boolean = () => false,
): ProbeVm[] {
  return oracle
    .livePorts()
    .filter((p) => networks.has(p.networkId) && p.deviceOwner.startsWith('compute:') && p.status === 'ACTIVE')
    .filter((p) => p.host !== '' && p.ips[0] && !skip(p))
    .map((p) => ({ host: p.host, networkId: p.networkId, mac: p.mac, ip: p.ips[0] as string }))
    .sort((a, b) => (a.host + a.networkId < b.host + b.networkId ? -1 : 1));
}

function routerSide(oracle: FactOracle, routerId: string) {
  const interfaces: RouterInterface[] = oracle
    .livePorts()
    .filter((p) => p.deviceId === routerId && p.deviceOwner === OWNER.haInterface && p.ips[0])
    .map((p) => ({ networkId: p.networkId, mac: p.mac, ip: p.ips[0] as string }));
  return { interfaces, vms: probeVms(oracle, new Set(interfaces.map((r) => r.networkId))) };
}

export function nodesOf(fleet: SimFleet): VtepNode[] {
  return fleet.hosts().flatMap((host) => {
    const r = fleet.reportOf(host);
    return r?.tunnelIp ? [{ host, tunnelIp: r.tunnelIp, capabilities: r.capabilities }] : [];
  });
}

/** A failover as it happened on the stack: its spec, the tables at the failure, the applies after it. */
export interface StackFailover<S> {
  readonly spec: S;
  readonly vrrp: VrrpSettings;
  readonly oracle: FactOracle;
  readonly fleet: SimFleet;
  readonly before: TableSnapshot;
  readonly reportAt: number;
  readonly applies: readonly ApplyRecord[];
}

/** The failover to replay: the addresses that move, the VMs that ping them, and the tables and applies. */
export interface ReplayInput extends Omit<StackFailover<unknown>, 'spec'> {
  readonly subject: FailoverSubject;
  readonly mode: 'graceful' | 'node-loss' | 'vm-loss';
  readonly takeoverMs: number;
  readonly interfaces: readonly HaAddress[];
  readonly vms: readonly ProbeVm[];
  /** The hosts that hold (or may hold) the addresses: the agents `auto` decides the views from. */
  readonly hosting: readonly string[];
}

/**
 * Runs the data-plane model over a failover that happened on the stack: the tables held at the
 * failure, then every table change the agents applied, at the real time they applied it; and
 * again with no change (the controller down).
 */
export function replayFailover(input: ReplayInput): FailoverReplay {
  const { vrrp, before, subject, takeoverMs, interfaces, vms } = input;
  const t0 = before.at;
  const after = input.applies.filter(
    (a) => a.at >= before.takenAt && a.action !== 'ignored' && a.action !== 'gap' && a.action !== 'partial',
  );
  const changes: TableChange[] = after.map((a) => ({
    at: a.at - t0,
    host: a.host,
    networkId: a.networkId,
    table: a.table,
  }));
  const lastApplied = after
    .filter((a) => a.action === 'applied')
    .reduce((m, a) => Math.max(m, a.at), -Infinity);
  const lastChange = changes.reduce((m, c) => Math.max(m, c.at), 0);
  const nodes = nodesOf(input.fleet);
  const base = {
    nodes,
    initial: before.tables,
    interfaces,
    vms,
    from: subject.from,
    to: subject.to,
    mode: input.mode,
    vrrp: { takeoverMs, garpRepeatMs: vrrp.garpRepeatMs, advertMs: vrrp.advertMs ?? 1000 },
    windowMs: Math.max(20_000, Math.ceil(lastChange) + 2000, takeoverMs + vrrp.garpRepeatMs + 2000),
  };
  const live = simulateFailover({ ...base, changes });
  const frozen = simulateFailover({ ...base, changes: [] });
  const diagnosis = {
    subject,
    interfaces,
    capabilities: Object.fromEntries(nodes.map((n) => [n.host, n.capabilities])),
    initial: before.tables,
  };
  const networks = [...new Set(interfaces.map((i) => i.networkId))].flatMap((id) => {
    const n = input.oracle.network(id);
    return n ? [n] : [];
  });
  const agents = input.oracle.hosts().flatMap((h) => {
    const a = input.oracle.agent(h);
    return a ? [a] : [];
  });
  return {
    t0,
    reportAt: input.reportAt,
    takeoverMs,
    convergenceMs: Number.isFinite(lastApplied) ? Math.max(0, lastApplied - input.reportAt) : null,
    applies: after.map((a) => ({ at: a.at - t0, host: a.host, networkId: a.networkId })),
    live,
    frozen,
    vrrp,
    noGateway: diagnoseNoGateway({ ...diagnosis, outcome: live }),
    noGatewayControllerDown: diagnoseNoGateway({ ...diagnosis, outcome: frozen }),
    autoViews: computeAutoViews({ hosting: input.hosting, agents, networks }),
  };
}

/** A router failover that happened on the stack, replayed (`replayFailover`). */
export function evaluateFailover(input: StackFailover<FailoverSpec>): FailoverRun {
  const { spec, vrrp } = input;
  const { interfaces, vms } = routerSide(input.oracle, spec.router);
  const replay = replayFailover({
    ...input,
    subject: { kind: 'router', name: spec.router, from: spec.from, to: spec.to },
    mode: spec.mode,
    takeoverMs: spec.mode === 'graceful' ? vrrp.gracefulMs : vrrp.nodeLossMs,
    interfaces,
    vms,
    hosting: input.oracle.router(spec.router)?.hosts ?? [],
  });
  return {
    ...replay,
    spec,
    interfaces: interfaces.length,
    otherOwners: [
      ...new Set(
        input.oracle
          .livePorts()
          .filter((p) => p.deviceId === spec.router && p.deviceOwner !== OWNER.haInterface)
          .map((p) => p.deviceOwner),
      ),
    ].sort(),
  };
}
