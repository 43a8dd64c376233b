import type { PlannedCommand } from './commands.js';
import { applyTableDelta } from './delta.js';
import { addToBuilder, builderFromTable, FLOODING_IP, finishTable, type TableBuilder } from './entries.js';
import { applyLocalPortsDelta, EMPTY_LOCAL_DELTA, type LocalPort } from './local-ports.js';
import type { AgentTable, Entry } from './types.js';
import { decideDelta, decideLeave, decideSnapshot } from './version-gate.js';

/** What an agent holds for one network: the last version applied, its table and its local ports. */
export interface HeldNetwork {
  readonly version: number;
  readonly table: AgentTable;
  /** The ports bound to the agent's host, sorted by id (src/core/local-ports.ts); absent: none. */
  readonly localPorts?: readonly LocalPort[];
  /**
   * A command for the network was refused whole (a strict simulated agent, as the reference agent
   * does): only a snapshot brings it back, also one of the version held (version-gate.ts).
   */
  readonly dirty?: boolean;
  /**
   * Dropped by a `leave` at `version` (a tombstone, so late deltas stay stale): the agent reports
   * and audits it no more, as the reference agent (`HeldNetwork.left` in agent/create-agent.ts).
   */
  readonly left?: boolean;
  /** Parts of a snapshot still being assembled. */
  readonly pending?: {
    readonly version: number;
    readonly parts: Readonly<
      Record<number, { readonly table: AgentTable; readonly localPorts: readonly LocalPort[] }>
    >;
    readonly count: number;
  };
}

export type ApplyAction = 'applied' | 'ignored' | 'gap' | 'partial';

export interface ApplyResult {
  readonly state: HeldNetwork | undefined;
  readonly action: ApplyAction;
}

type Ports = Record<string, readonly Entry[]>;

/**
 * The entries a payload carries for one network. A payload keyed by several networks (Neutron's
 * shape allows it) changes each network's table only with its own entries, as a Neutron agent
 * applies each network's part to that network's local VLAN and drops the parts it has no port in.
 */
function portsOf(fdb: Readonly<Record<string, { ports: Ports }>>, networkId: string): Ports {
  return fdb[networkId]?.ports ?? {};
}

function applyPayloads(table: AgentTable, command: Extract<PlannedCommand, { kind: 'delta' }>): AgentTable {
  let t = table;
  for (const p of command.payloads) {
    if (p.method === 'remove_fdb_entries')
      t = applyTableDelta(t, { add: {}, remove: portsOf(p.fdb_entries, command.networkId) });
    else if (p.method === 'add_fdb_entries')
      t = applyTableDelta(t, { add: portsOf(p.fdb_entries, command.networkId), remove: {} });
    else {
      for (const [ip, chg] of Object.entries(p.fdb_entries.chg_ip[command.networkId] ?? {})) {
        t = applyTableDelta(t, { add: { [ip]: chg.after ?? [] }, remove: { [ip]: chg.before ?? [] } });
      }
    }
  }
  return t;
}

function merge(parts: readonly { readonly table: AgentTable }[]): AgentTable {
  const b: TableBuilder = builderFromTable({});
  for (const part of parts)
    for (const [ip, entries] of Object.entries(part.table)) for (const e of entries) addToBuilder(b, ip, e);
  return finishTable(b);
}

/** The whole list of a snapshot's local ports: the union of its parts' shares. */
function mergeLocal(parts: readonly { readonly localPorts: readonly LocalPort[] }[]): LocalPort[] {
  return applyLocalPortsDelta([], { ...EMPTY_LOCAL_DELTA, upsert: parts.flatMap((p) => p.localPorts) });
}

/**
 * The agent side of the versioned protocol (guarantee 3, docs/architecture.md) for agents that hold
 * only their tables (the simulated agents), with the reference agent's version gate
 * (version-gate.ts):
 * - a command not newer than what is held is a duplicate or stale: ignored;
 * - a delta whose base is not the held version (0 for a network never held) is a gap: the agent
 *   asks for a snapshot;
 * - a snapshot replaces the table once all its parts arrived; `leave` drops the network.
 * The local ports follow the same versions: a delta applies its `localPorts` changes, a snapshot
 * replaces the list with the union of its parts', `leave` drops it.
 */
export function applyAgentCommand(state: HeldNetwork | undefined, command: PlannedCommand): ApplyResult {
  const held = state?.version ?? 0;
  if (command.kind === 'leave')
    return decideLeave(state, command.version) === 'apply'
      ? { state: { version: command.version, table: {}, left: true }, action: 'applied' }
      : { state, action: 'ignored' };
  if (command.kind === 'delta') {
    const decision = decideDelta(state, command.version, command.base);
    if (decision !== 'apply') return { state, action: decision === 'stale' ? 'ignored' : 'gap' };
    const localPorts = command.localPorts
      ? applyLocalPortsDelta(state?.localPorts ?? [], command.localPorts)
      : (state?.localPorts ?? []);
    return {
      state: {
        version: command.version,
        table: applyPayloads(state?.table ?? {}, command),
        ...(localPorts.length > 0 ? { localPorts } : {}),
      },
      action: 'applied',
    };
  }
  if (decideSnapshot(state, command.version) === 'stale') return { state, action: 'ignored' };
  const table = portsOf(command.fdb_entries, command.networkId);
  const pending =
    state?.pending && state.pending.version === command.version
      ? state.pending
      : { version: command.version, parts: {}, count: command.part.count };
  const parts = { ...pending.parts, [command.part.index]: { table, localPorts: command.localPorts ?? [] } };
  if (Object.keys(parts).length < pending.count) {
    return {
      state: {
        version: held,
        table: state?.table ?? {},
        ...(state?.localPorts ? { localPorts: state.localPorts } : {}),
        ...(state?.dirty ? { dirty: true } : {}),
        pending: { ...pending, parts },
      },
      action: 'partial',
    };
  }
  const localPorts = mergeLocal(Object.values(parts));
  return {
    state: {
      version: command.version,
      table: merge(Object.values(parts)),
      ...(localPorts.length > 0 ? { localPorts } : {}),
    },
    action: 'applied',
  };
}

/** True for the flooding entry. */
export function isFloodingEntry(entry: Entry): boolean {
  return entry[1] === FLOODING_IP && entry[0] === '00:00:00:00:00:00';
}
