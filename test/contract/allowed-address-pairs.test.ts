import { describe, expect, it } from 'vitest';
import { parseInboundEvent, parsePortEvent, toPort } from '../../src/contracts/parse.js';
import { LIMITS } from '../../src/contracts/primitives.js';

const NETWORK = { id: 'net-a', networkType: 'vxlan', segmentId: 1001 };
const PORT = {
  id: 'vm-1',
  networkId: 'net-a',
  mac: 'fa:16:3e:00:00:01',
  ips: ['10.0.0.11'],
  deviceOwner: 'compute:nova',
  deviceId: 'i-1',
  host: 'compute-1',
  status: 'ACTIVE',
  revision: 1,
};
const upsert = (pairs: unknown) =>
  JSON.stringify({
    type: 'port.upsert',
    v: 1,
    network: NETWORK,
    port: { ...PORT, allowedAddressPairs: pairs },
  });

function parsedPort(pairs: unknown) {
  const e = parsePortEvent(upsert(pairs));
  if (e.type !== 'port.upsert') throw new Error('expected an upsert');
  return toPort(e);
}

function codeOf(body: string): string {
  try {
    parseInboundEvent(body);
    return 'accepted';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('allowed-address pairs on port.upsert', () => {
  it('are optional: a port without them parses to the same core port as before (no field)', () => {
    const e = parsePortEvent(JSON.stringify({ type: 'port.upsert', v: 1, network: NETWORK, port: PORT }));
    if (e.type !== 'port.upsert') throw new Error('expected an upsert');
    expect('allowedAddressPairs' in toPort(e)).toBe(false);
    expect('allowedAddressPairs' in parsedPort([])).toBe(false);
  });

  it("default the MAC to the port's own, as Neutron stores it, and keep an explicit one lower-cased", () => {
    expect(
      parsedPort([{ ipAddress: '10.0.0.100' }, { ipAddress: '10.0.0.101', macAddress: '00:00:5E:00:01:07' }])
        .allowedAddressPairs,
    ).toEqual([
      { ipAddress: '10.0.0.100', macAddress: 'fa:16:3e:00:00:01' },
      { ipAddress: '10.0.0.101', macAddress: '00:00:5e:00:01:07' },
    ]);
  });

  it.each([
    ['10.0.0.100/32', '10.0.0.100'],
    ['10.0.0.5/24', '10.0.0.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:1/128', '2001:db8::1'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['fe80::1', 'fe80::1'],
  ])('makes %s canonical: %s', (given, canonical) => {
    expect(parsedPort([{ ipAddress: given }]).allowedAddressPairs?.[0]?.ipAddress).toBe(canonical);
  });

  it.each([
    ['not an address', [{ ipAddress: 'vip' }], 'invalid_aap'],
    ['a prefix longer than the family', [{ ipAddress: '10.0.0.0/33' }], 'invalid_aap'],
    ['an IPv6 prefix over 128', [{ ipAddress: '2001:db8::/129' }], 'invalid_aap'],
    ['a zero-padded prefix length (Neutron refuses it too)', [{ ipAddress: '10.0.0.0/08' }], 'invalid_aap'],
    ['whitespace', [{ ipAddress: '10.0.0.0/8 ' }], 'invalid_aap'],
    ['a bare multicast address', [{ ipAddress: '224.0.0.18' }], 'invalid_aap'],
    ['a bare loopback address', [{ ipAddress: '::1' }], 'invalid_aap'],
    ['a multicast MAC', [{ ipAddress: '10.0.0.100', macAddress: '01:00:5e:00:00:01' }], 'invalid_mac'],
    [
      'a missing ipAddress (AllowedAddressPairsMissingIP)',
      [{ macAddress: 'fa:16:3e:00:00:09' }],
      'invalid_message',
    ],
    ['an unknown key', [{ ipAddress: '10.0.0.100', ip_address: '10.0.0.100' }], 'invalid_message'],
    [
      'more pairs than the limit',
      Array.from({ length: LIMITS.maxAllowedAddressPairs + 1 }, (_, i) => ({ ipAddress: `10.0.1.${i + 1}` })),
      'limit_exceeded',
    ],
  ])('rejects %s', (_what, pairs, code) => {
    expect(codeOf(upsert(pairs))).toBe(code);
  });

  it.each([
    ['an address and its /32', [{ ipAddress: '10.0.0.100' }, { ipAddress: '10.0.0.100/32' }]],
    [
      "an address with the port's MAC left out and spelled out in capitals",
      [{ ipAddress: '10.0.0.100' }, { ipAddress: '10.0.0.100', macAddress: 'FA:16:3E:00:00:01' }],
    ],
    ['a prefix with and without host bits', [{ ipAddress: '10.0.0.0/24' }, { ipAddress: '10.0.0.7/24' }]],
    ['two spellings of an IPv6 address', [{ ipAddress: '2001:db8::1' }, { ipAddress: '2001:DB8:0::1' }]],
  ])('keeps once what Neutron stores twice because it compares the spelling: %s', (_what, pairs) => {
    // neutron/db/allowedaddresspairs_db.py keeps the strings as given (AuthenticIPNetwork,
    // AuthenticEUI) and its unique key compares them, so Neutron holds both; here they are one pair.
    const parsed = parsedPort([...pairs, { ipAddress: '10.0.0.101' }]).allowedAddressPairs;
    expect(parsed).toHaveLength(2);
    expect(parsed?.[1]).toEqual({ ipAddress: '10.0.0.101', macAddress: 'fa:16:3e:00:00:01' });
    expect(codeOf(upsert(pairs))).toBe('accepted');
  });

  it('accepts one address with two MACs (a plain and a use_vmac keepalived), and the limit exactly', () => {
    expect(
      codeOf(
        upsert([{ ipAddress: '10.0.0.100' }, { ipAddress: '10.0.0.100', macAddress: '00:00:5e:00:01:07' }]),
      ),
    ).toBe('accepted');
    const atLimit = Array.from({ length: LIMITS.maxAllowedAddressPairs }, (_, i) => ({
      ipAddress: `10.0.1.${i + 1}`,
    }));
    expect(codeOf(upsert(atLimit))).toBe('accepted');
  });
});
