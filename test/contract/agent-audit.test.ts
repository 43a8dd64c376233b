import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { onAgentAudit } from '../../src/app/on-agent-audit.js';
import { parseAgentEvent, parseInboundEvent } from '../../src/contracts/parse.js';
import { LIMITS } from '../../src/contracts/primitives.js';
import { InvalidInputError } from '../../src/core/errors.js';

const NETWORK = {
  networkId: 'net-a',
  version: 7,
  sum: '3a0f9c41d2e8b675',
  counts: { flood: 2, unicast: 5, arp: 5 },
};
const AUDIT = {
  type: 'agent.audit',
  v: 1,
  host: 'compute-1',
  bootId: 'b1',
  readAt: 1_796_601_600_000,
  networks: [NETWORK],
};

function rejection(body: object): { code: string; message: string } {
  try {
    parseAgentEvent(JSON.stringify(body));
  } catch (err) {
    if (err instanceof InvalidInputError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('agent.audit contract', () => {
  it('parses on the agent-events queue and as an inbound event', () => {
    expect(parseAgentEvent(JSON.stringify(AUDIT))).toEqual(AUDIT);
    expect(parseInboundEvent(JSON.stringify(AUDIT))).toEqual(AUDIT);
  });

  it.each([
    [
      'a sum that is not 16 lower-case hex digits',
      { networks: [{ ...NETWORK, sum: '3A0F9C41D2E8B675' }] },
      'networks.0.sum',
    ],
    ['a negative count', { networks: [{ ...NETWORK, counts: { ...NETWORK.counts, arp: -1 } }] }, 'arp'],
    ['a network twice', { networks: [NETWORK, { ...NETWORK, version: 8 }] }, 'a network appears twice'],
    ['an invalid network id', { networks: [{ ...NETWORK, networkId: '../x' }] }, 'networkId'],
    ['a fractional version', { networks: [{ ...NETWORK, version: 1.5 }] }, 'version'],
    ['no boot id', { bootId: undefined }, 'bootId'],
    [
      'too many networks',
      { networks: Array.from({ length: 61 }, (_, i) => ({ ...NETWORK, networkId: `n${i}` })) },
      'networks',
    ],
  ])('rejects %s as invalid_message, naming it', (_, change, named) => {
    const r = rejection({ ...AUDIT, ...change });
    expect(r.code).toBe('invalid_message');
    expect(r.message).toContain(named);
  });

  it('the largest valid audit fits in one message', () => {
    const big = (i: number) => ({
      networkId: `${i}`.padStart(128, 'n'),
      version: Number.MAX_SAFE_INTEGER,
      sum: 'f'.repeat(16),
      counts: { flood: LIMITS.maxAuditEntries, unicast: LIMITS.maxAuditEntries, arp: LIMITS.maxAuditEntries },
    });
    const largest = {
      ...AUDIT,
      host: 'h'.repeat(128),
      bootId: 'b'.repeat(128),
      readAt: Number.MAX_SAFE_INTEGER,
      networks: Array.from({ length: LIMITS.maxAuditNetworks }, (_, i) => big(i)),
    };
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThanOrEqual(LIMITS.maxEventBytes);
    expect(parseAgentEvent(JSON.stringify(largest)).type).toBe('agent.audit');
  });

  it('is acknowledged without effect where the controller keeps no audit store (replay)', async () => {
    const event = parseAgentEvent(JSON.stringify(AUDIT));
    if (event.type !== 'agent.audit') throw new Error(`parsed as ${event.type}`);
    const deps = { store: createMemoryStore(), publisher: { publish: async () => {} } };
    expect(await onAgentAudit(deps, event)).toEqual({
      outcome: 'unchanged',
      networks: [],
      splitBrain: [],
      strategies: {},
    });
  });
});
