import { type AgentAuditEvent, agentAuditV1 } from '../src/contracts/events.js';
import { LIMITS } from '../src/contracts/primitives.js';
import { computeViewDigest, type DataPlaneEntry, type ViewDigest } from '../src/core/digest.js';
import type { DeviceState } from './read-device-state.js';

/**
 * The drift-audit digest of what a VXLAN device really holds (docs/drift-audit.md), from the
 * entries `readDeviceState` keeps: the agent's own `self permanent` FDB entries with a destination
 * (learned entries, the bridge's `master` entries and entries without `dst` are not l2pop's) and,
 * when the device answers ARP itself (`proxy`), its PERMANENT neighbours. Without `proxy` the
 * agent programs no ARP entry (`agent/kernel-ops.ts`), so none counts.
 */
export function computeDeviceDigest(state: DeviceState, proxy: boolean): ViewDigest {
  const entries: DataPlaneEntry[] = [];
  for (const vtep of state.flood) entries.push({ kind: 'flood', vtep });
  for (const [mac, vteps] of state.unicast)
    for (const vtep of vteps) entries.push({ kind: 'unicast', mac, vtep });
  if (proxy) for (const [ip, mac] of state.neigh) entries.push({ kind: 'arp', ip, mac });
  return computeViewDigest(entries);
}

export interface AuditedNetwork {
  readonly networkId: string;
  /** The version the agent believes it holds. */
  readonly version: number;
  readonly digest: ViewDigest;
}

/**
 * The `agent.audit` events for one reading of the data plane, validated by the contract: one
 * event, or several when the agent holds more networks than one event may carry.
 */
export function auditEvents(audit: {
  readonly host: string;
  readonly bootId: string;
  readonly readAt: number;
  readonly networks: readonly AuditedNetwork[];
}): AgentAuditEvent[] {
  const out: AgentAuditEvent[] = [];
  for (let i = 0; i < audit.networks.length; i += LIMITS.maxAuditNetworks) {
    out.push(
      agentAuditV1.parse({
        type: 'agent.audit',
        v: 1,
        host: audit.host,
        bootId: audit.bootId,
        readAt: Math.floor(audit.readAt),
        networks: audit.networks.slice(i, i + LIMITS.maxAuditNetworks).map((n) => ({
          networkId: n.networkId,
          version: n.version,
          sum: n.digest.sum,
          counts: n.digest.counts,
        })),
      }),
    );
  }
  return out;
}
