import { auditEvents } from '../../agent/audit-digest.js';
import type { AgentAuditEvent, AgentReportEvent } from '../../src/contracts/events.js';
import { computeHoldsArp, computeTableDigest } from '../../src/core/digest.js';
import type { AgentTable } from '../../src/core/types.js';

/** What a simulated agent holds, as `createTableAgents` keeps it. */
export interface HeldTables {
  /** The networks held and not left, as the reference agent audits them. */
  heldNetworks(host: string): string[];
  version(host: string, networkId: string): number;
  table(host: string, networkId: string): AgentTable;
}

/**
 * A simulated agent's `agent.audit` (docs/drift-audit.md): the digest of the table it holds per
 * network, read from its own table as a kernel agent reads its kernel, with the same core digest
 * and the same event builder as the reference agent. ARP entries count when the agent answers ARP.
 */
export function computeSimAuditEvents(
  tables: HeldTables,
  report: AgentReportEvent,
  readAt: number,
): AgentAuditEvent[] {
  const holdsArp = computeHoldsArp(report.capabilities);
  return auditEvents({
    host: report.host,
    bootId: report.bootId,
    readAt,
    networks: tables.heldNetworks(report.host).map((networkId) => ({
      networkId,
      version: tables.version(report.host, networkId),
      digest: computeTableDigest(tables.table(report.host, networkId), holdsArp),
    })),
  });
}
