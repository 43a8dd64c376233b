import type { LocalPortRecord } from '../src/contracts/commands.js';
import {
  type AgentAppliedEvent,
  type AgentAuditEvent,
  type AgentReportEvent,
  agentReportV1,
  agentResyncV1,
} from '../src/contracts/events.js';
import { decideDelta, decideLeave, decideSnapshot, type GateState } from '../src/core/version-gate.js';
import { AgentCommandError, KernelCommandError } from './agent-error.js';
import type { AgentOutboundEvent } from './agent-transport.js';
import { appliedEvent } from './applied-reporter.js';
import { type AuditedNetwork, auditEvents, computeDeviceDigest } from './audit-digest.js';
import { type AgentLogger, withFields } from './create-logger.js';
import { executeOps } from './execute-ops.js';
import type { KernelExecutor } from './kernel-executor.js';
import type { KernelOp } from './kernel-ops.js';
import { planDeltaOps } from './kernel-ops.js';
import { vxlanDeviceName } from './kernel-values.js';
import {
  type FdbEntry,
  keepConsistentEntries,
  networkIdOfBody,
  parseAgentCommandBody,
  type RefusedEntry,
  type ValidatedCommand,
} from './parse-agent-command.js';
import { planSnapshotOps } from './plan-snapshot-ops.js';
import { type DeviceState, readDeviceState } from './read-device-state.js';
import { SnapshotAssembler } from './snapshot-assembler.js';
import { movesSegment, VniClaims } from './vni-claims.js';
import { type DeviceSettings, deleteVxlanDevice, prepareVxlanDevice } from './vxlan-device.js';

const EMPTY_DEVICE: DeviceState = { flood: new Set(), unicast: new Map(), neigh: new Map() };

/**
 * What the agent holds for one network; the versioned protocol's decisions on it are the core's
 * gate (src/core/version-gate.ts), shared with the simulated agents.
 */
export interface HeldNetwork extends GateState {
  readonly version: number;
  /** The segment of its device; null after a `leave` that came before anything else. */
  readonly vni: number | null;
  /** The agent dropped the network at `version` (a tombstone, so late deltas stay stale). */
  readonly left: boolean;
  /** A kernel operation failed part-way: the device may hold anything until the next snapshot. */
  readonly dirty: boolean;
}

export interface AgentConfig extends DeviceSettings {
  readonly host: string;
  readonly agentType: string;
  readonly bootId: string;
  /** Minimum milliseconds between two resync requests for one network. */
  readonly resyncIntervalMs: number;
}

export interface AgentDeps {
  readonly config: AgentConfig;
  readonly executor: KernelExecutor;
  readonly send: (event: AgentOutboundEvent) => Promise<void>;
  readonly log: AgentLogger;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** What became of one message. Only `failed` leaves it unacknowledged (SQS retries it). */
export type AgentOutcome =
  | {
      readonly kind: 'applied';
      readonly networkId: string;
      readonly version: number;
      readonly ops: number;
      /** Entries of the command the agent did not program; the rest of it is applied. */
      readonly refused?: readonly RefusedEntry[];
    }
  | { readonly kind: 'stale' | 'gap'; readonly networkId: string; readonly version: number }
  | {
      readonly kind: 'buffered';
      readonly networkId: string;
      readonly version: number;
      readonly refused?: readonly RefusedEntry[];
    }
  | { readonly kind: 'rejected'; readonly code: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

export interface Agent {
  /** `correlationId`: logged with the outcome, so one event's path can be followed to this host. */
  handle(body: string, correlationId?: string): Promise<AgentOutcome>;
  /** The `agent.report` this agent sends on start: its capabilities, truthfully. */
  report(): AgentReportEvent;
  /** The `agent.applied` report of what it holds now: per network not left, the version applied. */
  applied(): AgentAppliedEvent;
  /**
   * The `agent.audit` events of what its kernel holds now, per network not left: read from each
   * network's VXLAN device (a missing device holds nothing). Call it between two `handle`s, never
   * during one, or the reading mixes two versions (`runAgent` serialises them).
   */
  audit(): Promise<AgentAuditEvent[]>;
  held(networkId: string): HeldNetwork | undefined;
  /**
   * The controller's record of a port bound to this host (its MAC, fixed IPs and pairs), from the
   * commands of the network it is in; undefined before the first snapshot of that network that
   * lists it, or once the port left this host. The claim watcher decides by it (docs/vip.md).
   */
  localPort(networkId: string, portId: string): LocalPortRecord | undefined;
}

/** Refused entries logged one line each per command; the rest are only counted. */
export const MAX_REFUSAL_LINES = 20;
/** The CloudWatch namespace of the agent's embedded-metric-format lines (the controller's default). */
export const AGENT_METRICS_NAMESPACE = 'L2Pop';

/**
 * Reports the entries the agent refused: one structured `refused_entry` line each (up to
 * MAX_REFUSAL_LINES), and one CloudWatch embedded-metric-format line per code with the count
 * `RefusedEntries`, dimension `code`.
 */
function reportRefused(
  log: AgentLogger,
  now: number,
  networkId: string,
  version: number,
  refused: readonly RefusedEntry[],
): void {
  for (const r of refused.slice(0, MAX_REFUSAL_LINES))
    log.warn('refused_entry', { networkId, version, ...r });
  if (refused.length > MAX_REFUSAL_LINES)
    log.warn('refused_entries_truncated', { networkId, version, refused: refused.length });
  const byCode = new Map<string, number>();
  for (const r of refused) byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1);
  for (const [code, n] of byCode) {
    log.info('metric', {
      _aws: {
        Timestamp: Math.floor(now),
        CloudWatchMetrics: [
          {
            Namespace: AGENT_METRICS_NAMESPACE,
            Dimensions: [['code']],
            Metrics: [{ Name: 'RefusedEntries', Unit: 'Count' }],
          },
        ],
      },
      code,
      RefusedEntries: n,
    });
  }
}

/**
 * The reference L2 agent: keeps the version it holds per network, applies deltas only on top of
 * that version, turns snapshots into "exactly this" by diffing against the kernel, and asks for a
 * snapshot on any gap. Commands for one agent come from one FIFO queue and are handled one at a
 * time, so there is no concurrency inside.
 */
export function createAgent(deps: AgentDeps): Agent {
  const { config, executor, log: baseLog } = deps;
  const held = new Map<string, HeldNetwork>();
  // Per network, the ports the controller says are bound to this host, at the version held.
  const localPorts = new Map<string, Map<string, LocalPortRecord>>();
  // One network per VNI (vni-claims.ts), shared with the strict simulated agents.
  const vnis = new VniClaims();
  const resyncAt = new Map<string, number>();
  const assembler = new SnapshotAssembler();
  let lastApplyAt = 0;
  // Devices checked and in service since the last failure: a delta on a known device costs no
  // extra `ip link show`.
  const ensured = new Map<number, string>();

  /** Writes `ops` to the segment's device, creating it first and putting it in service last. */
  const program = async (
    vni: number,
    plan: (dev: string, created: boolean) => Promise<KernelOp[]>,
  ): Promise<number> => {
    const known = ensured.get(vni);
    const prepared =
      known === undefined
        ? await prepareVxlanDevice(executor, vni, config)
        : { dev: known, created: false, activate: null };
    const ops = await plan(prepared.dev, prepared.created);
    await executeOps(executor, ops);
    if (prepared.activate) await executor.run('ip', prepared.activate);
    ensured.set(vni, prepared.dev);
    return ops.length;
  };
  const dropDevice = async (vni: number): Promise<void> => {
    ensured.delete(vni);
    vnis.free(vni);
    await deleteVxlanDevice(executor, vni);
    const waiting = vnis.takeWaiting(vni);
    if (waiting === undefined) return;
    resyncAt.delete(waiting); // its last request was answered with a command refused for this VNI
    await requestResync(waiting);
  };

  const requestResync = async (networkId: string): Promise<void> => {
    const last = resyncAt.get(networkId);
    if (last !== undefined && deps.now() - last < config.resyncIntervalMs) return;
    resyncAt.set(networkId, deps.now());
    await deps.send(
      agentResyncV1.parse({ type: 'agent.resync', v: 1, host: config.host, networkId, reason: 'gap' }),
    );
  };

  const claimVni = async (networkId: string, vni: number): Promise<void> => {
    const previous = vnis.claim(networkId, vni, held.get(networkId));
    if (previous !== null) await dropDevice(previous);
    vnis.own(networkId, vni);
  };

  const applySnapshot = async (
    networkId: string,
    version: number,
    vni: number,
    entries: readonly FdbEntry[],
  ) => {
    await claimVni(networkId, vni);
    ensured.delete(vni); // a snapshot is the repair path: re-check the device itself too
    const n = await program(vni, async (dev, created) =>
      planSnapshotOps(
        dev,
        config.proxy,
        entries,
        created ? EMPTY_DEVICE : await readDeviceState(executor, dev),
        config.bridgePrefix !== null,
      ),
    );
    held.set(networkId, { version, vni, left: false, dirty: false });
    resyncAt.delete(networkId);
    return n;
  };

  const apply = async (cmd: ValidatedCommand): Promise<AgentOutcome> => {
    const h = held.get(cmd.networkId);
    const base = { networkId: cmd.networkId, version: cmd.version };
    if (cmd.kind === 'leave') {
      if (decideLeave(h, cmd.version) === 'stale') return { kind: 'stale', ...base };
      assembler.drop(cmd.networkId);
      localPorts.delete(cmd.networkId);
      if (h?.vni != null && !h.left) await dropDevice(h.vni);
      held.set(cmd.networkId, { version: cmd.version, vni: h?.vni ?? null, left: true, dirty: false });
      return { kind: 'applied', ...base, ops: 1 };
    }
    if (cmd.kind === 'snapshot') {
      if (decideSnapshot(h, cmd.version) === 'stale') return { kind: 'stale', ...base };
      const assembled = assembler.add(cmd);
      if (!assembled) return { kind: 'buffered', ...base, refused: cmd.refused };
      // One part was already made consistent by itself; this drops what contradicts an earlier part.
      const refused = [...cmd.refused];
      const entries = keepConsistentEntries(assembled.entries, refused);
      const ops = await applySnapshot(cmd.networkId, cmd.version, cmd.vni, entries);
      localPorts.set(cmd.networkId, new Map(assembled.localPorts.map((p) => [p.id, p])));
      return { kind: 'applied', ...base, ops, refused };
    }
    const decision = decideDelta(h, cmd.version, cmd.base);
    if (decision === 'stale') return { kind: 'stale', ...base };
    // A delta for another segment than the device holds cannot apply on top of it.
    if (decision === 'gap' || movesSegment(h, cmd.vni)) {
      await requestResync(cmd.networkId);
      return { kind: 'gap', ...base };
    }
    await claimVni(cmd.networkId, cmd.vni);
    const n = await program(cmd.vni, async (dev) =>
      planDeltaOps(dev, config.proxy, cmd.steps, config.bridgePrefix !== null),
    );
    held.set(cmd.networkId, { version: cmd.version, vni: cmd.vni, left: false, dirty: false });
    if (cmd.localPorts) {
      const mine = localPorts.get(cmd.networkId) ?? new Map<string, LocalPortRecord>();
      for (const id of cmd.localPorts.remove) mine.delete(id);
      for (const p of cmd.localPorts.upsert) mine.set(p.id, p);
      localPorts.set(cmd.networkId, mine);
    }
    return { kind: 'applied', ...base, ops: n, refused: cmd.refused };
  };

  const readDigest = async (vni: number) => {
    try {
      return computeDeviceDigest(await readDeviceState(executor, vxlanDeviceName(vni)), config.proxy);
    } catch (err) {
      if (err instanceof KernelCommandError && err.isMissing) return computeDeviceDigest(EMPTY_DEVICE, false);
      throw err;
    }
  };

  return {
    held: (networkId) => held.get(networkId),
    localPort: (networkId, portId) => localPorts.get(networkId)?.get(portId),
    async audit() {
      const readAt = deps.now();
      const networks: AuditedNetwork[] = [];
      for (const [networkId, h] of held) {
        if (h.left || h.vni === null) continue;
        networks.push({ networkId, version: h.version, digest: await readDigest(h.vni) });
      }
      return auditEvents({ host: config.host, bootId: config.bootId, readAt, networks });
    },
    applied: () => {
      const networks = new Map<string, number>();
      for (const [networkId, h] of held) if (!h.left) networks.set(networkId, h.version);
      return appliedEvent({ host: config.host, bootId: config.bootId, networks, at: lastApplyAt });
    },
    report: () =>
      agentReportV1.parse({
        type: 'agent.report',
        v: 1,
        host: config.host,
        tunnelIp: config.tunnelIp,
        agentType: config.agentType,
        networkTypes: ['vxlan'],
        capabilities: { learning: config.learning, arp: config.proxy ? 'proxy' : 'off' },
        bootId: config.bootId,
        revision: Math.floor(deps.now()),
      }),
    async handle(body, correlationId) {
      const started = deps.now();
      const log = correlationId ? withFields(baseLog, { correlationId }) : baseLog;
      let cmd: ValidatedCommand | undefined;
      try {
        cmd = parseAgentCommandBody(body, config.tunnelIp);
        const outcome = await apply(cmd);
        if (outcome.kind === 'applied') lastApplyAt = deps.now();
        const refused = 'refused' in outcome ? (outcome.refused ?? []) : [];
        // A partly refused command is applied (its version is held): a snapshot would carry the
        // same facts and be refused the same way, so the agent reports them instead of resyncing.
        if (refused.length > 0) reportRefused(log, deps.now(), cmd.networkId, cmd.version, refused);
        log.info(outcome.kind, {
          ...outcome,
          refused: refused.length,
          command: cmd.kind,
          ms: deps.now() - started,
        });
        return outcome;
      } catch (err) {
        if (err instanceof AgentCommandError) {
          // A refused command for a network this agent holds leaves it behind the controller: it
          // asks for a snapshot (rate-limited per network) rather than stay silently stale.
          const networkId = cmd?.networkId ?? networkIdOfBody(body);
          const h = networkId === undefined ? undefined : held.get(networkId);
          log.warn('rejected', { code: err.code, error: err.message, networkId, resync: h !== undefined });
          if (networkId !== undefined && h) {
            held.set(networkId, { ...h, dirty: true });
            await requestResync(networkId);
          }
          return { kind: 'rejected', code: err.code, message: err.message };
        }
        if (err instanceof KernelCommandError && cmd) {
          const h = held.get(cmd.networkId);
          if (h) held.set(cmd.networkId, { ...h, dirty: true });
          ensured.clear();
          log.error('kernel_failed', { networkId: cmd.networkId, version: cmd.version, error: err.message });
          await requestResync(cmd.networkId);
          return { kind: 'failed', message: err.message };
        }
        throw err;
      }
    },
  };
}
