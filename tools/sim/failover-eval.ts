import { OWNER } from '../../src/core/owners.js';
import type { AgentTable, HaView } from '../../src/core/types.js';
import type { VtepNode } from './dataplane.js';
import type { FactOracle } from './fact-oracle.js';
import {
  type FailoverOutcome,
  type ProbeVm,
  type RouterInterface,
  simulateFailover,
  type TableChange,
} from './failover-sim.js';
import { computeAutoViews, diagnoseNoGateway, type NoGateway } from './gateway-diagnosis.js';
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

/** One failover as it happened on the local stack. */
export interface FailoverRun {
  readonly spec: FailoverSpec;
  /** When the failure happened and when the new master's report was sent (ms, same clock as the applies). */
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
  /** The router's HA interfaces found in the facts; none means no port was recognised as one. */
  readonly interfaces: number;
  /** Other device owners the router's ports carry (a port with one of these is not an HA interface). */
  readonly otherOwners: readonly string[];
  /** VMs without a gateway after the failure, and why (`diagnoseNoGateway`). */
  readonly noGateway: readonly NoGateway[];
  /** The same with the controller down. */
  readonly noGatewayControllerDown: readonly NoGateway[];
  /** The view each agent of the router's networks gets of it under `auto` (`computeRouterView`). */
  readonly autoViews: readonly { host: string; networkId: string; view: HaView }[];
}

function routerSide(oracle: FactOracle, routerId: string) {
  const interfaces: RouterInterface[] = oracle
    .livePorts()
    .filter((p) => p.deviceId === routerId && p.deviceOwner === OWNER.haInterface && p.ips[0])
    .map((p) => ({ networkId: p.networkId, mac: p.mac, ip: p.ips[0] as string }));
  const nets = new Set(interfaces.map((r) => r.networkId));
  const vms: ProbeVm[] = oracle
    .livePorts()
    .filter((p) => nets.has(p.networkId) && p.deviceOwner.startsWith('compute:') && p.status === 'ACTIVE')
    .filter((p) => p.host !== '' && p.ips[0])
    .map((p) => ({ host: p.host, networkId: p.networkId, mac: p.mac, ip: p.ips[0] as string }))
    .sort((a, b) => (a.host + a.networkId < b.host + b.networkId ? -1 : 1));
  return { interfaces, vms };
}

export function nodesOf(fleet: SimFleet): VtepNode[] {
  return fleet.hosts().flatMap((host) => {
    const r = fleet.reportOf(host);
    return r?.tunnelIp ? [{ host, tunnelIp: r.tunnelIp, capabilities: r.capabilities }] : [];
  });
}

/**
 * Runs the data-plane model over a failover that happened on the stack: the tables held at the
 * failure, then every table change the agents applied, at the real time they applied it.
 */
export function evaluateFailover(input: {
  spec: FailoverSpec;
  vrrp: VrrpSettings;
  oracle: FactOracle;
  fleet: SimFleet;
  before: TableSnapshot;
  reportAt: number;
  applies: readonly ApplyRecord[];
}): FailoverRun {
  const { spec, vrrp, before } = input;
  const takeoverMs = spec.mode === 'graceful' ? vrrp.gracefulMs : vrrp.nodeLossMs;
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
  const { interfaces, vms } = routerSide(input.oracle, spec.router);
  const lastChange = changes.reduce((m, c) => Math.max(m, c.at), 0);
  const nodes = nodesOf(input.fleet);
  const base = {
    nodes,
    initial: before.tables,
    interfaces,
    vms,
    from: spec.from,
    to: spec.to,
    mode: spec.mode,
    vrrp: { takeoverMs, garpRepeatMs: vrrp.garpRepeatMs },
    windowMs: Math.max(20_000, Math.ceil(lastChange) + 2000, takeoverMs + vrrp.garpRepeatMs + 2000),
  };
  const live = simulateFailover({ ...base, changes });
  const frozen = simulateFailover({ ...base, changes: [] });
  const diagnosis = {
    spec,
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
    spec,
    t0,
    reportAt: input.reportAt,
    takeoverMs,
    convergenceMs: Number.isFinite(lastApplied) ? Math.max(0, lastApplied - input.reportAt) : null,
    applies: after.map((a) => ({ at: a.at - t0, host: a.host, networkId: a.networkId })),
    live,
    frozen,
    vrrp,
    interfaces: interfaces.length,
    otherOwners: [
      ...new Set(
        input.oracle
          .livePorts()
          .filter((p) => p.deviceId === spec.router && p.deviceOwner !== OWNER.haInterface)
          .map((p) => p.deviceOwner),
      ),
    ].sort(),
    noGateway: diagnoseNoGateway({ ...diagnosis, outcome: live }),
    noGatewayControllerDown: diagnoseNoGateway({ ...diagnosis, outcome: frozen }),
    autoViews: computeAutoViews({ hosting: input.oracle.router(spec.router)?.hosts ?? [], agents, networks }),
  };
}
