import type { AgentAuditEvent } from '../contracts/events.js';
import { type AuditPairRecord, DEFAULT_AUDIT_LIMITS, decideAudit } from '../core/audit-decision.js';
import { computeHoldsArp } from '../core/digest.js';
import { computeStoredDesiredDigest } from '../core/digest-change.js';
import { parseHostDigestRecord, parseNetworkDigestRecord } from '../core/digest-record.js';
import type { AuditDeps, HostAuditRecord } from './audit-ports.js';
import { resyncNetwork } from './on-agent-change.js';
import type { AuditOutcome, Deps, EventResult } from './reconcile.js';

const UNCHANGED: EventResult = { outcome: 'unchanged', networks: [], splitBrain: [], strategies: {} };

/**
 * `agent.audit` (docs/drift-audit.md, "Controller comparison and repair"): per network, the
 * agent's digest against the desired one, from the network's and this host's sum records only
 * (one batch read whatever the network's size; `decideAudit` says what each result means). The
 * host's audit record is written first, guarded, so a duplicate or concurrent copy of the audit
 * repairs nothing twice; then each drifting network gets a snapshot to this host alone (the
 * `agent.resync` path, at the network's next version: the agent believes it holds the current one). Without `deps.audits` (replay) the audit is acknowledged without effect.
 */
export async function onAgentAudit(deps: Deps, event: AgentAuditEvent): Promise<EventResult> {
  const audits = deps.audits;
  if (!audits) return UNCHANGED;
  for (let attempt = 0; attempt < (deps.maxAttempts ?? 8); attempt++) {
    const decided = await decide(audits, event);
    if (decided === 'conflict') continue;
    if (decided.length === 0) return UNCHANGED;
    const outcomes: AuditOutcome[] = [];
    const networks: EventResult['networks'][number][] = [];
    for (const d of decided) {
      if (d.repair) {
        const r = await resyncNetwork(deps, event.host, d.networkId, '', true);
        networks.push(...r.networks);
      }
      outcomes.push({ host: event.host, networkId: d.networkId, result: d.result, repaired: d.repair });
    }
    return { outcome: 'applied', networks, splitBrain: [], strategies: {}, audits: outcomes };
  }
  return UNCHANGED;
}

interface Decided {
  readonly networkId: string;
  readonly result: AuditPairRecord['result'];
  readonly repair: boolean;
}

async function decide(audits: AuditDeps, event: AgentAuditEvent): Promise<Decided[] | 'conflict'> {
  const now = (audits.now ?? Date.now)();
  const limits = audits.limits ?? DEFAULT_AUDIT_LIMITS;
  const read = await audits.store.read(
    event.host,
    event.networks.map((n) => n.networkId),
  );
  // an agent the controller does not know, or a boot it has not heard of yet: nothing to compare with
  if (!read.agent || read.agent.bootId !== event.bootId) return [];
  const holdsArp = computeHoldsArp(read.agent.capabilities);
  const sameBoot = read.record?.bootId === event.bootId;
  const pairs: Record<string, AuditPairRecord> = sameBoot ? { ...read.record?.networks } : {};
  const out: Decided[] = [];
  for (const n of event.networks) {
    const netRecord = read.networks.get(n.networkId);
    const net = netRecord ? parseNetworkDigestRecord(netRecord) : undefined;
    const hostRecord = read.hosts.get(n.networkId);
    const host = hostRecord ? parseHostDigestRecord(hostRecord) : undefined;
    // One BatchGetItem is not a snapshot: a host record newer than its network record was read
    // across a commit, and the sum of the two is no desired view. Read again.
    if (net && host && host.version > net.version) return 'conflict';
    const desired = net ? computeStoredDesiredDigest(net, host, holdsArp) : null;
    const d = decideAudit(
      pairs[n.networkId],
      {
        reported: { sum: n.sum, counts: n.counts },
        version: n.version,
        readAt: event.readAt,
        now,
        desired,
        networkVersion: net?.complete ? net.version : null,
        changedAt: net?.changedAt ?? 0,
      },
      limits,
    );
    if (!d) continue;
    pairs[n.networkId] = d.record;
    out.push({ networkId: n.networkId, result: d.record.result, repair: d.repair });
  }
  if (out.length === 0) return [];
  const record: HostAuditRecord = {
    host: event.host,
    bootId: event.bootId,
    networks: pairs,
    revision: (read.record?.revision ?? 0) + 1,
  };
  const written = await audits.store.write(record, read.record ? read.record.revision : null);
  return written === 'conflict' ? 'conflict' : out;
}
