import type { AuditStore, HostAuditRecord } from '../../app/audit-ports.js';
import type { MemoryStore } from './memory-store.js';

/** The drift audit's store over a memory store's sum records and agents (use-case tests, replay). */
export function createMemoryAuditStore(facts: MemoryStore): AuditStore & { reads: number } {
  const records = new Map<string, HostAuditRecord>();
  const store = {
    reads: 0,
    async read(host: string, networkIds: readonly string[]) {
      store.reads++;
      return {
        networks: new Map(networkIds.map((id) => [id, facts.digestRecord(id, null)])),
        hosts: new Map(networkIds.map((id) => [id, facts.digestRecord(id, host)])),
        agent: await facts.getAgent(host),
        record: records.get(host),
      };
    },
    async write(record: HostAuditRecord, expected: number | null) {
      if ((records.get(record.host)?.revision ?? null) !== expected) return 'conflict' as const;
      records.set(record.host, record);
      return 'written' as const;
    },
    async get(host: string) {
      return records.get(host);
    },
  };
  return store;
}
