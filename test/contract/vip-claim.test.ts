import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { parseAgentEvent, parseInboundEvent } from '../../src/contracts/parse.js';
import { isInvalidInputError } from '../../src/core/errors.js';

const CLAIM = {
  type: 'vip.claim',
  v: 1,
  host: 'compute-1',
  networkId: 'net-a',
  portId: 'vm-1',
  ip: '10.0.0.100',
  mac: 'FA:16:3E:00:00:01',
  kind: 'garp',
  at: 1796601600123,
  seq: 7,
};

function codeOf(body: unknown): string {
  try {
    parseInboundEvent(JSON.stringify(body));
    return 'accepted';
  } catch (err) {
    return isInvalidInputError(err) ? err.code : 'thrown';
  }
}

describe('vip.claim v1', () => {
  it('parses on the agent queue, with the MAC and IPv6 address made canonical', () => {
    expect(parseAgentEvent(JSON.stringify(CLAIM))).toMatchObject({ mac: 'fa:16:3e:00:00:01' });
    const na = { ...CLAIM, ip: '2001:DB8::0:64', kind: 'unsolicited_na' };
    expect(parseInboundEvent(JSON.stringify(na))).toMatchObject({ ip: '2001:db8::64' });
  });

  it.each([
    ['a GARP for an IPv6 address', { ...CLAIM, ip: '2001:db8::64' }, 'invalid_message'],
    ['an NA for an IPv4 address', { ...CLAIM, kind: 'unsolicited_na' }, 'invalid_message'],
    ['a multicast VIP', { ...CLAIM, ip: '224.0.0.18' }, 'invalid_ip'],
    ['a multicast MAC', { ...CLAIM, mac: '01:00:5e:00:00:12' }, 'invalid_mac'],
    ['no ordering stamp', { ...CLAIM, at: undefined }, 'invalid_message'],
    ['a negative seq', { ...CLAIM, seq: -1 }, 'invalid_message'],
    ['version 2', { ...CLAIM, v: 2 }, 'unsupported_version'],
  ])('rejects %s', (_what, body, code) => {
    expect(codeOf(body)).toBe(code);
  });

  it('is refused, terminally and by name, when its port is unknown (test/app/vip-claim.test.ts has the rest)', async () => {
    const event = parseInboundEvent(JSON.stringify(CLAIM));
    const store = createMemoryStore({ now: () => 0 });
    const published: unknown[] = [];
    const deps = { store, publisher: { publish: async (r: unknown) => void published.push(r) } };
    await expect(dispatchEvent(deps, event)).rejects.toMatchObject({ code: 'vip_unknown_port' });
    expect(published).toEqual([]);
  });
});
