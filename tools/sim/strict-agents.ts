import { AgentCommandError, type AgentRejectionCode } from '../../agent/agent-error.js';
import {
  type FdbEntry,
  keepConsistentEntries,
  networkIdOfBody,
  type PayloadStep,
  parseAgentCommandBody,
  type RefusedEntry,
  type ValidatedCommand,
} from '../../agent/parse-agent-command.js';
import { SnapshotAssembler } from '../../agent/snapshot-assembler.js';
import { type HeldSegment, movesSegment, VniClaims } from '../../agent/vni-claims.js';
import { parseAgentCommand } from '../../src/contracts/commands.js';
import type { ApplyAction } from '../../src/core/agent-protocol.js';
import type { PlannedCommand } from '../../src/core/commands.js';
import type { FdbEntries, NeutronPayload } from '../../src/core/payloads.js';
import type { Entry } from '../../src/core/types.js';
import { decideDelta, decideLeave, decideSnapshot } from '../../src/core/version-gate.js';
import { createTableAgents, type TableAgents } from '../replay/table-agents.js';

/** What became of one command at a simulated agent, in the reference agent's words (`AgentOutcome`). */
export type StrictOutcome =
  | {
      readonly kind: 'applied' | 'buffered';
      readonly command: PlannedCommand['kind'];
      readonly networkId: string;
      readonly version: number;
      /** Entries the reference agent would not program; the rest of the command is applied. */
      readonly refused: readonly RefusedEntry[];
    }
  | {
      readonly kind: 'stale' | 'gap';
      readonly command: PlannedCommand['kind'];
      readonly networkId: string;
      readonly version: number;
    }
  | {
      readonly kind: 'rejected';
      readonly code: AgentRejectionCode;
      readonly message: string;
      readonly networkId: string | undefined;
      /**
       * Refused because another network still holds its VNI (`VniClaims`): a wait for that
       * network's `leave`, which Neutron's reuse of a segment makes possible, not a forged fact.
       */
      readonly waiting: boolean;
    };

/** A snapshot the agent asks for (`agent.resync`). */
export interface ResyncRequest {
  readonly host: string;
  readonly networkId: string;
  /** The network waited for its VNI, now free: the reference agent asks at once, whatever its rate limit. */
  readonly vniFreed: boolean;
}

interface HostState {
  readonly vnis: VniClaims;
  /** Per network, the segment of its device (the reference agent's `HeldNetwork.vni` and `left`). */
  readonly segments: Map<string, HeldSegment>;
  readonly assembler: SnapshotAssembler;
}

const KINDS: Readonly<Record<ApplyAction, 'applied' | 'stale' | 'gap' | 'buffered'>> = {
  applied: 'applied',
  ignored: 'stale',
  gap: 'gap',
  partial: 'buffered',
};

/** The table agents' word for an outcome (`ApplyAction`); undefined for a refused command. */
export function applyActionOf(outcome: StrictOutcome): ApplyAction | undefined {
  if (outcome.kind === 'rejected') return undefined;
  return (Object.keys(KINDS) as ApplyAction[]).find((a) => KINDS[a] === outcome.kind);
}

function fdbOf(networkId: string, vni: number, entries: readonly FdbEntry[]): FdbEntries {
  return { [networkId]: { segment_id: vni, network_type: 'vxlan', ports: byVtep(entries) } };
}

function byVtep(entries: readonly FdbEntry[]): Record<string, Entry[]> {
  const ports: Record<string, Entry[]> = {};
  for (const e of entries) (ports[e.vtep] ??= []).push([e.mac, e.ip]);
  return ports;
}

function payloadOf(networkId: string, vni: number, step: PayloadStep): NeutronPayload {
  if (step.kind !== 'chg_ip') {
    const method = step.kind === 'add' ? 'add_fdb_entries' : 'remove_fdb_entries';
    return { method, fdb_entries: fdbOf(networkId, vni, step.entries) };
  }
  const change: Record<string, { before?: Entry[]; after?: Entry[] }> = {};
  for (const [vtep, before] of Object.entries(byVtep(step.before))) (change[vtep] ??= {}).before = before;
  for (const [vtep, after] of Object.entries(byVtep(step.after))) (change[vtep] ??= {}).after = after;
  return { method: 'update_fdb_entries', fdb_entries: { chg_ip: { [networkId]: change } } };
}

/**
 * Simulated agents as strict as the reference agent (`agent/create-agent.ts`), over the tables of
 * `createTableAgents`. A command body goes through the reference agent's own checks, in its order:
 * `parseAgentCommandBody` (size, JSON, envelope version, schema, VNI, network and segment, tunnel
 * IP, entry screening), the version gate (src/core/version-gate.ts), its `SnapshotAssembler`
 * (part counts, segments, limits, newest version only) and `keepConsistentEntries` across parts,
 * and `VniClaims` (one network per VNI, the wait for a reused VNI, a delta for another segment
 * being a gap). The table then takes exactly what the reference agent programs: the validated,
 * canonical entries, minus the refused ones. A command refused whole for a held network makes it
 * dirty and asks for a snapshot, as there. An agent without a tunnel IP, or a command for a network
 * type the reference agent does not program, is applied as parsed by the wire schema: those
 * simulated agents stand for any agent.
 */
export function createStrictAgents(tables: TableAgents = createTableAgents()) {
  const hosts = new Map<string, HostState>();
  const resyncs: ResyncRequest[] = [];

  const hostState = (host: string): HostState => {
    let st = hosts.get(host);
    if (!st) {
      st = { vnis: new VniClaims(), segments: new Map(), assembler: new SnapshotAssembler() };
      hosts.set(host, st);
    }
    return st;
  };

  const reject = (host: string, err: AgentCommandError, networkId: string | undefined, waiting = false) => {
    if (networkId !== undefined && tables.state(host, networkId)) {
      tables.markDirty(host, networkId);
      resyncs.push({ host, networkId, vniFreed: false });
    }
    return { kind: 'rejected', code: err.code, message: err.message, networkId, waiting } as const;
  };

  const dropVni = (host: string, st: HostState, vni: number) => {
    st.vnis.free(vni);
    const waiting = st.vnis.takeWaiting(vni);
    if (waiting !== undefined) resyncs.push({ host, networkId: waiting, vniFreed: true });
  };

  /** The VNI claim; a refusal to return when another network holds it, else null. */
  const claimVni = (host: string, st: HostState, networkId: string, vni: number): StrictOutcome | null => {
    let previous: number | null;
    try {
      previous = st.vnis.claim(networkId, vni, st.segments.get(networkId));
    } catch (err) {
      if (err instanceof AgentCommandError) return reject(host, err, networkId, true);
      throw err;
    }
    if (previous !== null) dropVni(host, st, previous);
    st.vnis.own(networkId, vni);
    st.segments.set(networkId, { vni, left: false });
    return null;
  };

  const put = (host: string, command: PlannedCommand): void => {
    const action = tables.deliver(host, command);
    if (action !== 'applied')
      throw new Error(`strict agent ${host}: the table refused what the gate let through`);
  };

  const apply = (host: string, cmd: ValidatedCommand): StrictOutcome => {
    const st = hostState(host);
    const h = tables.state(host, cmd.networkId);
    const { networkId, version } = cmd;
    const base = { command: cmd.kind, networkId, version };
    if (cmd.kind === 'leave') {
      if (decideLeave(h, version) === 'stale') return { kind: 'stale', ...base };
      st.assembler.drop(networkId);
      const seg = st.segments.get(networkId);
      if (seg?.vni != null && !seg.left) dropVni(host, st, seg.vni);
      st.segments.set(networkId, { vni: seg?.vni ?? null, left: true });
      put(host, { v: 1, kind: 'leave', networkId, version });
      return { kind: 'applied', ...base, refused: [] };
    }
    const head = { v: 1, networkId, version, segment: { networkType: 'vxlan', segmentId: cmd.vni } } as const;
    /** The VNI claim, then the table takes `command`; a refusal while another network holds the VNI. */
    const claimThenPut = (command: PlannedCommand, refused: readonly RefusedEntry[]): StrictOutcome => {
      const waiting = claimVni(host, st, networkId, cmd.vni);
      if (waiting) return waiting;
      put(host, command);
      return { kind: 'applied', ...base, refused };
    };
    if (cmd.kind === 'snapshot') {
      if (decideSnapshot(h, version) === 'stale') return { kind: 'stale', ...base };
      const assembled = st.assembler.add(cmd);
      if (!assembled) return { kind: 'buffered', ...base, refused: cmd.refused };
      const refused = [...cmd.refused];
      const entries = keepConsistentEntries(assembled.entries, refused);
      const part = { index: 0, count: 1 };
      const fdb_entries = fdbOf(networkId, cmd.vni, entries);
      return claimThenPut(
        { ...head, kind: 'snapshot', part, fdb_entries, localPorts: assembled.localPorts },
        refused,
      );
    }
    const decision = decideDelta(h, version, cmd.base);
    if (decision === 'stale') return { kind: 'stale', ...base };
    if (decision === 'gap' || movesSegment(st.segments.get(networkId), cmd.vni)) {
      resyncs.push({ host, networkId, vniFreed: false });
      return { kind: 'gap', ...base };
    }
    const payloads = cmd.steps.map((s) => payloadOf(networkId, cmd.vni, s));
    const localPorts = cmd.localPorts ? { localPorts: cmd.localPorts } : {};
    return claimThenPut({ ...head, kind: 'delta', base: cmd.base, payloads, ...localPorts }, cmd.refused);
  };

  /** Any agent: the wire schema and the shared protocol function only. */
  const applyParsed = (host: string, body: string): StrictOutcome => {
    const command = parseAgentCommand(body) as PlannedCommand;
    const kind = KINDS[tables.deliver(host, command)];
    for (const gap of tables.takeGaps()) resyncs.push({ ...gap, vniFreed: false });
    const base = { command: command.kind, networkId: command.networkId, version: command.version };
    return kind === 'stale' || kind === 'gap' ? { kind, ...base } : { kind, ...base, refused: [] };
  };

  return {
    tables,
    /**
     * One command body for `host`, checked with `tunnelIp` as the reference agent checks it.
     * Throws only what the wire schema throws for an agent without a tunnel IP.
     */
    deliver(host: string, tunnelIp: string | null | undefined, body: string): StrictOutcome {
      if (!tunnelIp) return applyParsed(host, body);
      let cmd: ValidatedCommand;
      try {
        cmd = parseAgentCommandBody(body, tunnelIp);
      } catch (err) {
        if (!(err instanceof AgentCommandError)) throw err;
        if (err.code === 'unsupported_network_type') return applyParsed(host, body);
        return reject(host, err, networkIdOfBody(body));
      }
      try {
        return apply(host, cmd);
      } catch (err) {
        if (err instanceof AgentCommandError) return reject(host, err, cmd.networkId);
        throw err;
      }
    },
    /** The snapshots `host` asked for since the last call, in order. */
    takeResyncs(host: string): ResyncRequest[] {
      const mine = resyncs.filter((r) => r.host === host);
      const others = resyncs.filter((r) => r.host !== host);
      resyncs.splice(0, resyncs.length, ...others);
      return mine;
    },
    /** A restarted agent: it holds nothing, waits for nothing and assembles nothing. */
    reset(host: string): void {
      hosts.delete(host);
      tables.reset(host);
    },
  };
}

export type StrictAgents = ReturnType<typeof createStrictAgents>;
