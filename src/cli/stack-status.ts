import { createDynamoAppliedStore } from '../adapters/aws/dynamo-applied-store.js';
import { createDynamoAuditStore } from '../adapters/aws/dynamo-audit-store.js';
import { createRejectedStore } from '../adapters/aws/dynamo-rejected-store.js';
import { INBOUND_QUEUES, type InboundQueueId, queueDepth } from '../adapters/aws/inbound-queues.js';
import type { NetworkState } from '../app/ports.js';
import { resolveStrategy } from '../core/flags.js';
import type { FlagSettings } from '../core/types.js';
import { type AgentAuditStatus, summarizeAudit } from './audit-status.js';
import type { StackTarget } from './stack-target.js';

/** One network of one agent: what the controller last sent it against what it reports holding. */
export interface AgentNetworkStatus {
  readonly networkId: string;
  /** The version of the controller's last command to this agent for the network. */
  readonly current: number;
  /** What the agent reported applying (`agent.applied`) in its current boot; 0: nothing yet. */
  readonly held: number;
  readonly converged: boolean;
}

export interface AgentStatus {
  readonly host: string;
  readonly bootId: string | null;
  readonly networks: readonly AgentNetworkStatus[];
  /** Age in ms of the agent's last reported apply; null: it never reported one. */
  readonly lastApplyAgeMs: number | null;
  /** Its last drift audit in its current boot (docs/drift-audit.md); null: none yet. */
  readonly audit: AgentAuditStatus | null;
  readonly converged: boolean;
}

export interface RouterStatus {
  readonly routerId: string;
  readonly master: string | null;
  readonly hosts: readonly string[];
  /** The strategy each network's tables reflect now, and the one the flags ask for. */
  readonly networks: readonly { networkId: string; strategy: string | null; wanted: string }[];
}

export interface StackStatus {
  readonly stackName: string;
  readonly flagsRevision: number;
  readonly agents: readonly AgentStatus[];
  readonly routers: readonly RouterStatus[];
  readonly rejected: { readonly total: number; readonly byCode: Readonly<Record<string, number>> };
  readonly rejectedLatest: readonly { messageId: string; code: string; reason: string; at: string }[];
  readonly dlqDepth: Readonly<Record<InboundQueueId, number>>;
  readonly converged: boolean;
}

export interface StatusFilter {
  readonly network?: string | undefined;
  readonly host?: string | undefined;
  /** Only these networks (flags set: the HA networks). */
  readonly networks?: readonly string[] | undefined;
  /** Skip the rejected records and the DLQs (flags set polls only convergence). */
  readonly convergenceOnly?: boolean;
}

/** Whether every HA router of the network is in the strategy the flags ask for. */
function routerViews(state: NetworkState, flags: FlagSettings) {
  return Object.keys(state.routers).map((routerId) => ({
    routerId,
    strategy: state.strategies[routerId] ?? null,
    wanted: resolveStrategy(flags, routerId, state.network.id).strategy,
  }));
}

/**
 * The operator's view of a stack, read from its table and queues: per agent, the versions it holds
 * against the ones the controller sent; the HA routers and their masters; rejected records; DLQ
 * depth. `converged` is false while any agent lags or any HA network still reflects old flags.
 */
export async function readStackStatus(
  target: StackTarget,
  filter: StatusFilter = {},
  now = Date.now(),
): Promise<StackStatus> {
  const store = target.store();
  const applied = createDynamoAppliedStore({ client: target.clients.doc, tableName: target.tableName });
  const audits = createDynamoAuditStore({ client: target.clients.doc, tableName: target.tableName });
  const { flags, revision } = await store.getFlags();
  const states = new Map<string, NetworkState | undefined>();
  const stateOf = async (id: string) => {
    if (!states.has(id)) states.set(id, await store.getNetworkState(id));
    return states.get(id);
  };
  let hosts: string[];
  if (filter.host) hosts = [filter.host];
  else if (filter.network || filter.networks) {
    const set = new Set<string>();
    for (const id of filter.networks ?? [filter.network as string])
      for (const h of Object.keys((await stateOf(id))?.index.counts ?? {})) set.add(h);
    hosts = [...set].sort();
  } else hosts = await applied.listHosts();
  const only = filter.networks ? new Set(filter.networks) : filter.network ? new Set([filter.network]) : null;

  const agents: AgentStatus[] = [];
  for (const host of hosts) {
    const agent = await store.getAgent(host);
    const held = new Map(
      (await applied.list(host)).filter((a) => a.bootId === agent?.bootId).map((a) => [a.networkId, a]),
    );
    const networks: AgentNetworkStatus[] = [];
    for (const networkId of (await store.listHostNetworks(host)).sort()) {
      if (only && !only.has(networkId)) continue;
      const state = await stateOf(networkId);
      // every member is sent every version (docs/data-model.md, "Constant write capacity in hosts")
      const current = state?.index.members[host] ? state.version : 0;
      const h = held.get(networkId)?.version ?? 0;
      networks.push({ networkId, current, held: h, converged: h >= current });
    }
    const last = Math.max(0, ...[...held.values()].map((a) => a.at));
    agents.push({
      host,
      bootId: agent?.bootId ?? null,
      networks,
      lastApplyAgeMs: last > 0 ? Math.max(0, now - last) : null,
      audit: summarizeAudit(await audits.get(host), agent?.bootId ?? null, now, only),
      converged: networks.every((n) => n.converged),
    });
  }

  const routers = new Map<string, RouterStatus & { networks: RouterStatus['networks'][number][] }>();
  const haNetworks = (await store.listHaNetworks()).filter((id) => !only || only.has(id));
  for (const networkId of haNetworks.sort()) {
    const state = await stateOf(networkId);
    if (!state) continue;
    for (const v of routerViews(state, flags)) {
      const view = state.routers[v.routerId];
      const r = routers.get(v.routerId) ?? {
        routerId: v.routerId,
        master: view?.master ?? null,
        hosts: view?.hosts ?? [],
        networks: [],
      };
      r.networks.push({ networkId, strategy: v.strategy, wanted: v.wanted });
      routers.set(v.routerId, r);
    }
  }
  const hostNetworks = new Set(agents.flatMap((a) => a.networks.map((n) => n.networkId)));
  const routerList = [...routers.values()].filter(
    (r) =>
      !filter.host || r.hosts.includes(filter.host) || r.networks.some((n) => hostNetworks.has(n.networkId)),
  );

  let rejected: StackStatus['rejected'] = { total: 0, byCode: {} };
  let rejectedLatest: StackStatus['rejectedLatest'] = [];
  const dlqDepth = { PortEventsQueue: 0, HaEventsQueue: 0, AgentEventsQueue: 0 };
  if (!filter.convergenceOnly) {
    const list = await createRejectedStore({
      client: target.clients.doc,
      tableName: target.tableName,
    }).list();
    const byCode: Record<string, number> = {};
    for (const r of list) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
    rejected = { total: list.length, byCode };
    rejectedLatest = list.slice(-5);
    const { dlqs } = await target.outputs();
    for (const q of INBOUND_QUEUES) dlqDepth[q] = await queueDepth(target.clients.sqs, dlqs[q]);
  }
  const converged =
    agents.every((a) => a.converged) &&
    routerList.every((r) => r.networks.every((n) => n.strategy === n.wanted));
  return {
    stackName: target.stackName,
    flagsRevision: revision,
    agents,
    routers: routerList,
    rejected,
    rejectedLatest,
    dlqDepth,
    converged,
  };
}
