import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { INBOUND_QUEUES, type QueueUrls, sendEvents } from '../../src/adapters/aws/inbound-queues.js';
import type { AgentAuditEvent, AgentReportEvent, InboundEvent } from '../../src/contracts/events.js';
import { computePortContribution } from '../../src/core/contribution.js';
import { computeTable } from '../../src/core/desired.js';
import { computeHoldsArp, computeTableDigest, digestsEqual } from '../../src/core/digest.js';
import { recordedContext } from '../../src/core/engine.js';
import { OWNER } from '../../src/core/owners.js';
import type { Strategy } from '../../src/core/types.js';
import { startController, startLocalServers } from '../local/boot.js';
import { DEFAULT_AGENTS } from './default-scenario.js';
import { createFactOracle } from './fact-oracle.js';
import { settle } from './settle.js';
import { createSimFleet } from './sim-fleet.js';

export interface AuditSoakOptions {
  readonly durationMs: number;
  /** Every agent audits this often. */
  readonly auditMs: number;
  /** One churn event this often on average. */
  readonly churnMs: number;
  readonly seed: number;
  readonly log: (s: string) => void;
}

export interface AuditSoakResult {
  readonly durationMs: number;
  readonly auditMs: number;
  readonly churnEvents: Readonly<Record<string, number>>;
  readonly audits: { readonly messages: number; readonly networks: number };
  /** (agent, network) audits whose version was the one the controller last sent it. */
  readonly compared: number;
  /** Those whose digest differed from the full recompute of the network as recorded at that version. */
  readonly mismatches: readonly string[];
  /** Commands the agents received whose inbound event was an `agent.audit`: repair snapshots. */
  readonly repairCommands: number;
  readonly commandsApplied: number;
  readonly fleetErrors: readonly string[];
  readonly invocationErrors: number;
  readonly ok: boolean;
}

const NETWORKS = [1, 2, 3].map((i) => ({
  id: `soak-${i}`,
  name: `soak-${i}`,
  networkType: 'vxlan' as const,
  segmentId: 2000 + i,
}));
const COMPUTES = DEFAULT_AGENTS.filter((a) => a.host.startsWith('compute')).map((a) => a.host);
const ROUTER_HOSTS = ['net1', 'net2'] as const;
const STRATEGIES: readonly Strategy[] = ['tunnel', 'master-binding', 'auto'];

/** A small deterministic generator (mulberry32), so a run's churn can be replayed from its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type PortSpec = Extract<InboundEvent, { type: 'port.upsert' }>['port'];

/**
 * The valid churn of a small cloud (the default A/B cloud's 9 agents, 3 networks, HA router r1
 * with an interface in each): VMs booted, moved, renumbered and deleted, r1 failing over between
 * net1 and net2, and r1's strategy flag flipped. Every event is one Neutron could send.
 */
function createChurn(seed: number) {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const ports = new Map<string, PortSpec>();
  let nextVm = 0;
  let master: string = ROUTER_HOSTS[0];
  let seq = 10;
  let flagsRevision = 1;
  const upsert = (port: PortSpec): InboundEvent => {
    const network = NETWORKS.find((n) => n.id === port.networkId) ?? NETWORKS[0];
    ports.set(port.id, port);
    return { type: 'port.upsert', v: 1, network: { ...(network as (typeof NETWORKS)[0]) }, port };
  };
  /**
   * An address never handed out before in the network's subnet: Neutron refuses an IP another port
   * holds (the controller rejects it too, `duplicate_ip`), so reusing one would not be valid churn.
   */
  const handedOut = NETWORKS.map(() => 0);
  const freshIp = (net: number): string => {
    const k = handedOut[net] ?? 0;
    handedOut[net] = k + 1;
    return `10.${net + 1}.${1 + Math.floor(k / 250)}.${2 + (k % 250)}`;
  };
  const newVm = (): InboundEvent => {
    const n = nextVm++;
    const net = n % NETWORKS.length;
    return upsert({
      id: `vm-${n}`,
      networkId: NETWORKS[net]?.id as string,
      mac: `fa:16:3e:${(net + 16).toString(16)}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
      ips: [freshIp(net)],
      host: pick(COMPUTES),
      deviceOwner: 'compute:nova',
      deviceId: `instance-${n}`,
      status: 'ACTIVE',
      dvrHosts: [],
      revision: 1,
    });
  };
  const vms = () => [...ports.values()].filter((p) => p.deviceOwner === 'compute:nova');
  const setup: InboundEvent[] = [
    { type: 'ha.schedule', v: 1, routerId: 'r1', hosts: [...ROUTER_HOSTS], revision: 1 },
    { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'active', term: 0, seq: 1 },
    { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'standby', term: 0, seq: 2 },
    ...NETWORKS.map((n, i) =>
      upsert({
        id: `r1-${n.id}`,
        networkId: n.id,
        mac: `fa:16:3e:ff:00:0${i + 1}`,
        ips: [`10.${i + 1}.0.1`],
        host: 'net1',
        deviceOwner: OWNER.haInterface,
        deviceId: 'r1',
        status: 'ACTIVE',
        dvrHosts: [],
        revision: 1,
      }),
    ),
    ...Array.from({ length: 12 }, newVm),
  ];
  const kinds = {
    'port: boot a VM': () => [newVm()],
    'port: move a VM': () => {
      const p = pick(vms());
      return [upsert({ ...p, host: pick(COMPUTES.filter((h) => h !== p.host)), revision: p.revision + 1 })];
    },
    'port: renumber a VM': () => {
      const p = pick(vms());
      const net = NETWORKS.findIndex((x) => x.id === p.networkId);
      return [upsert({ ...p, ips: [freshIp(net)], revision: p.revision + 1 })];
    },
    'port: delete a VM': (): InboundEvent[] => {
      const p = pick(vms());
      if (vms().length <= 6) return [newVm()];
      ports.delete(p.id);
      return [{ type: 'port.delete', v: 1, portId: p.id, networkId: p.networkId, revision: p.revision + 1 }];
    },
    'ha: failover of r1': (): InboundEvent[] => {
      const to = master === 'net1' ? 'net2' : 'net1';
      const from = master;
      master = to;
      seq += 2;
      return [
        { type: 'ha.state', v: 1, routerId: 'r1', host: from, state: 'standby', term: 0, seq: seq - 1 },
        { type: 'ha.state', v: 1, routerId: 'r1', host: to, state: 'active', term: 0, seq },
      ];
    },
    'flags: flip r1': (): InboundEvent[] => [
      {
        type: 'flags.set',
        v: 1,
        flags: { defaultStrategy: 'auto', rollout: null, networks: {}, routers: { r1: pick(STRATEGIES) } },
        revision: ++flagsRevision,
      },
    ],
  } as const;
  return {
    setup,
    next(): [string, InboundEvent[]] {
      const name = pick(Object.keys(kinds) as (keyof typeof kinds)[]);
      return [name, kinds[name]()];
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The drift audit's no-false-positive soak (docs/drift-audit.md): the local stack (DynamoDB Local,
 * fauxqs, the bundled handlers behind the poller), the default cloud's 9 simulated agents, each
 * auditing every `auditMs`, and valid churn every `churnMs` for `durationMs`. Passes when no agent
 * receives a command caused by an audit (a repair), and when every audit whose version is the one
 * the controller last sent the agent matches the digest of the full recompute of the network as
 * recorded at that version (the oracle the controller's incremental digest must equal), during the churn and
 * once more after it settles.
 */
export async function runAuditSoak(o: AuditSoakOptions): Promise<AuditSoakResult> {
  const servers = await startLocalServers({});
  let invocationErrors = 0;
  const stackName = `l2pop-soak-${o.seed}`;
  const controller = await startController(servers, {
    stackName,
    env: { L2POP_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    onInvoke: (_fn, out) => {
      if (out.error !== undefined) invocationErrors++;
    },
  });
  const urls = Object.fromEntries(
    INBOUND_QUEUES.map((id) => [id, controller.resources.queues[id]?.url as string]),
  ) as unknown as QueueUrls;
  let repairCommands = 0;
  let commandsApplied = 0;
  /** The last commands each agent received per network, printed with a mismatch it is part of. */
  const history = new Map<string, string[]>();
  const fleet = createSimFleet({
    sqs: servers.clients.sqs,
    prefix: controller.stack.agentQueuePrefix,
    agentEventsUrl: urls.AgentEventsQueue,
    log: (line) => {
      if (line.originEventType === 'agent.audit') repairCommands++;
      if (line.message === 'command applied') commandsApplied++;
      const key = `${line.host}/${line.networkId}`;
      const seen = history.get(key) ?? [];
      seen.push(
        `${line.kind} v${line.version} ${String(line.message).replace('command ', '')} (${line.originEventType})`,
      );
      history.set(key, seen.slice(-12));
    },
  });
  const store = createDynamoFactStore({
    client: servers.clients.doc,
    tableName: controller.resources.tables.StateTable as string,
  });
  const mismatches: string[] = [];
  const audits = { messages: 0, networks: 0 };
  let compared = 0;

  /**
   * The oracle: `host`'s table at the network's recorded version, recomputed in full from its
   * ports and the router views, strategies and members the network records (an HA change or a
   * flag flip records the router or flag fact first and moves each network after it, so the
   * current facts can be ahead of what the agents were sent). Undefined when a commit landed
   * between the reads.
   */
  const recordedTable = async (networkId: string, host: string) => {
    const before = await store.getNetworkState(networkId);
    const ports = await store.listNetworkPorts(networkId);
    const state = await store.getNetworkState(networkId);
    if (!before || !state || before.version !== state.version) return undefined;
    const ctx = recordedContext(state.routers, state.strategies);
    const contributions = ports.map((p) => computePortContribution(p, ctx));
    return {
      sent: state.index.members[host] ? state.version : 0,
      table: computeTable(host, state.index, contributions),
    };
  };
  /** Each audited network whose version is the one last sent, against the oracle. */
  const check = async (host: string, events: readonly AgentAuditEvent[]) => {
    const report = fleet.reportOf(host);
    if (!report) return;
    for (const e of events)
      for (const n of e.networks) {
        const want = await recordedTable(n.networkId, host);
        if (!want || want.sent !== n.version) continue;
        compared++;
        const digest = computeTableDigest(want.table, computeHoldsArp(report.capabilities));
        if (!digestsEqual(digest, { sum: n.sum, counts: n.counts }))
          mismatches.push(
            `${host} ${n.networkId} v${n.version}: held ${n.sum} ${JSON.stringify(n.counts)}, desired ${digest.sum} ${JSON.stringify(digest.counts)}`,
          );
      }
  };
  /** Every agent audits at once (as their timers would), then the oracle checks what they sent. */
  const auditAll = async () => {
    const sent = await Promise.all(
      fleet.liveHosts().map(async (host) => [host, await fleet.audit(host)] as const),
    );
    for (const [host, events] of sent) {
      audits.messages += events.length;
      audits.networks += events.reduce((s, e) => s + e.networks.length, 0);
      await check(host, events);
    }
  };

  const oracle = createFactOracle();
  const inboundUrls = Object.values(urls);
  const send = async (events: readonly InboundEvent[]) => {
    for (const e of events) oracle.apply(e);
    await sendEvents(servers.clients.sqs, urls, events);
  };
  const settled = async (quietMs: number, what: string) => {
    const r = await settle({
      sqs: servers.clients.sqs,
      inboundUrls,
      oracle,
      fleet,
      timeoutMs: 60_000,
      quietMs,
    });
    if (r.converged) return;
    const detail = await Promise.all(
      r.mismatches.slice(0, 3).map(async (m) => {
        const [host, networkId] = m.slice(0, m.indexOf(':')).split('/') as [string, string];
        const state = await store.getNetworkState(networkId);
        const recorded = state
          ? `controller at v${state.version}, members ${Object.keys(state.index.members).sort().join(',')}, counts ${JSON.stringify(state.index.counts)}`
          : 'no network state';
        return `${m} [${recorded}; ${host} received: ${(history.get(`${host}/${networkId}`) ?? []).join(', ')}]`;
      }),
    );
    mismatches.push(`${what}: not converged: ${detail.join('; ')}`);
  };
  const churn = createChurn(o.seed);
  const churnEvents: Record<string, number> = {};
  const t0 = Date.now();
  try {
    for (const a of DEFAULT_AGENTS) {
      const report: AgentReportEvent = {
        type: 'agent.report',
        v: 1,
        host: a.host,
        tunnelIp: a.tunnelIp,
        agentType: a.capabilities.arp === 'responder' ? 'Open vSwitch agent' : 'Linux bridge agent',
        networkTypes: ['vxlan'],
        capabilities: a.capabilities,
        bootId: `${a.host}-boot-1`,
        revision: 1,
      };
      oracle.apply(report);
      await fleet.report(report);
    }
    await send(churn.setup);
    await settled(1500, 'setup');
    const started = Date.now();
    const end = started + o.durationMs;
    let lastLog = started;
    // Churn and audits run side by side, as on a real cloud: an audit races the commands in flight.
    const churnLoop = async () => {
      while (Date.now() < end) {
        const [name, events] = churn.next();
        churnEvents[name] = (churnEvents[name] ?? 0) + 1;
        await send(events);
        if (Date.now() - lastLog > 60_000) {
          lastLog = Date.now();
          o.log(
            `  ${Math.round((lastLog - started) / 1000)} s: ${Object.values(churnEvents).reduce((a, b) => a + b, 0)} churn events, ${audits.networks} network audits, ${compared} compared, ${mismatches.length} mismatches, ${repairCommands} repair commands`,
          );
        }
        await sleep(o.churnMs * (0.5 + Math.random()));
      }
    };
    const auditLoop = async () => {
      while (Date.now() < end) {
        const t = Date.now();
        await auditAll();
        await sleep(Math.max(0, o.auditMs - (Date.now() - t)));
      }
    };
    await Promise.all([churnLoop(), auditLoop()]);
    await settled(2000, 'after the churn');
    const comparedBefore = compared;
    await auditAll();
    // After the churn every agent holds what it was last sent: the final audit compares every network.
    if (compared - comparedBefore === 0)
      mismatches.push('the final audit, after the churn settled, compared nothing');
    // An audit repaired now would arrive after the settle: give it the time to.
    await sleep(3000);
  } finally {
    await fleet.stop();
    await controller.stop();
    await servers.stop();
  }
  const fleetErrors = [...fleet.errors];
  return {
    durationMs: Date.now() - t0,
    auditMs: o.auditMs,
    churnEvents,
    audits,
    compared,
    mismatches,
    repairCommands,
    commandsApplied,
    fleetErrors,
    invocationErrors,
    ok: mismatches.length === 0 && repairCommands === 0 && fleetErrors.length === 0 && compared > 0,
  };
}
