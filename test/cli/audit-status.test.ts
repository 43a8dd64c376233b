import { describe, expect, it } from 'vitest';
import type { HostAuditRecord } from '../../src/app/audit-ports.js';
import { summarizeAudit } from '../../src/cli/audit-status.js';
import type { CliIo } from '../../src/cli/cli-support.js';
import type { StackStatus } from '../../src/cli/stack-status.js';
import { renderStatus } from '../../src/cli/status-command.js';
import type { AuditPairRecord } from '../../src/core/audit-decision.js';

const NOW = 1_000_000;
const pair = (result: AuditPairRecord['result'], at: number, repairs = 0): AuditPairRecord => ({
  result,
  version: 7,
  readAt: at - 50,
  at,
  lagCount: 0,
  repairs,
});
const record = (networks: Record<string, AuditPairRecord>, bootId = 'boot-2'): HostAuditRecord => ({
  host: 'compute1',
  bootId,
  networks,
  revision: 3,
});

describe('an agent’s last drift audit in l2pop status', () => {
  it('is the worst result over its networks, with the newest comparison’s age', () => {
    const s = summarizeAudit(
      record({ 'net-a': pair('match', NOW - 2000), 'net-b': pair('drift', NOW - 9000, 1) }),
      'boot-2',
      NOW,
    );
    expect(s).toEqual({
      result: 'drift',
      ageMs: 2000,
      networks: {
        'net-a': { result: 'match', version: 7, ageMs: 2000, repairs: 0 },
        'net-b': { result: 'drift', version: 7, ageMs: 9000, repairs: 1 },
      },
    });
  });

  it('ranks a failing repair above drift, and drift above results that are still settling', () => {
    const worst = (...rs: AuditPairRecord['result'][]) =>
      summarizeAudit(record(Object.fromEntries(rs.map((r, i) => [`n${i}`, pair(r, NOW)]))), 'boot-2', NOW)
        ?.result;
    expect(worst('match', 'drift', 'repair-failing')).toBe('repair-failing');
    expect(worst('lagging', 'drift', 'repairing')).toBe('drift');
    expect(worst('match', 'lagging')).toBe('lagging');
    expect(worst('match', 'match')).toBe('match');
  });

  it('is none when the record is of an earlier boot, missing, or filtered out', () => {
    const r = record({ 'net-a': pair('match', NOW) });
    expect(summarizeAudit(r, 'boot-3', NOW)).toBeNull();
    expect(summarizeAudit(undefined, 'boot-2', NOW)).toBeNull();
    expect(summarizeAudit(r, 'boot-2', NOW, new Set(['net-z']))).toBeNull();
    expect(summarizeAudit(r, 'boot-2', NOW, new Set(['net-a']))?.result).toBe('match');
  });

  it('is a column of each agent’s line, and a note on each network that does not match', () => {
    const io: CliIo = { out: () => {}, err: () => {}, color: false, invocation: 'l2pop status' };
    const agent = (host: string, audit: ReturnType<typeof summarizeAudit>) => ({
      host,
      bootId: 'boot-2',
      networks: [{ networkId: 'net-a', current: 7, held: 7, converged: true }],
      lastApplyAgeMs: 3000,
      audit,
      converged: true,
    });
    const status: StackStatus = {
      stackName: 's',
      flagsRevision: 1,
      agents: [
        agent('compute1', summarizeAudit(record({ 'net-a': pair('match', NOW - 4000) }), 'boot-2', NOW)),
        agent('compute2', summarizeAudit(record({ 'net-a': pair('drift', NOW - 1000, 2) }), 'boot-2', NOW)),
        agent('compute3', null),
      ],
      routers: [],
      rejected: { total: 0, byCode: {} },
      rejectedLatest: [],
      dlqDepth: { PortEventsQueue: 0, HaEventsQueue: 0, AgentEventsQueue: 0 },
      converged: true,
    };
    const text = renderStatus(status, io);
    expect(text).toContain(
      '  ok     compute1             last apply 3 s ago      audit match 4 s ago\n      net-a                holds 7 of 7\n',
    );
    expect(text).toContain(
      '  ok     compute2             last apply 3 s ago      audit drift 1 s ago\n      net-a                holds 7 of 7  audit drift (2 repairs)\n',
    );
    expect(text).toContain('  ok     compute3             last apply 3 s ago      audit never\n');
  });
});
