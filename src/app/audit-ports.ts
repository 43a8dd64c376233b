import type { AuditLimits, AuditPairRecord } from '../core/audit-decision.js';
import type { DigestRecord } from '../core/digest-record.js';
import type { Agent } from '../core/types.js';

/** What the controller keeps about one host's audits: the last result per network (operators read it). */
export interface HostAuditRecord {
  readonly host: string;
  /** The boot the records are about; a new boot starts them afresh. */
  readonly bootId: string;
  readonly networks: Readonly<Record<string, AuditPairRecord>>;
  /** Write counter: the record is written only if nobody wrote it since it was read. */
  readonly revision: number;
}

/** Everything one audit compares with, read together (one BatchGetItem in DynamoDB). */
export interface AuditRead {
  /** Network id -> its sum record (undefined: none). */
  readonly networks: ReadonlyMap<string, DigestRecord | undefined>;
  /** Network id -> this host's sum record in it. */
  readonly hosts: ReadonlyMap<string, DigestRecord | undefined>;
  readonly agent: Agent | undefined;
  readonly record: HostAuditRecord | undefined;
}

/** The drift audit's storage: O(1) items per audited network, whatever the network's size. */
export interface AuditStore {
  read(host: string, networkIds: readonly string[]): Promise<AuditRead>;
  /** Writes the host's record if its revision is still `expected` (null: must not exist). */
  write(record: HostAuditRecord, expected: number | null): Promise<'written' | 'conflict'>;
  /** The host's record, for operators (`l2pop status`). */
  get(host: string): Promise<HostAuditRecord | undefined>;
}

export interface AuditDeps {
  readonly store: AuditStore;
  readonly limits?: AuditLimits;
  readonly now?: () => number;
}
