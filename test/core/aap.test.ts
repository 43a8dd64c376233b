import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findAapOverlap } from '../../src/core/aap.js';
import { formatPrefix, parsePrefix, prefixContains } from '../../src/core/cidr.js';
import type { Port } from '../../src/core/types.js';

function port(id: string, ips: string[], pairs: string[] = [], host = `host-${id}`): Port {
  return {
    id,
    networkId: 'net-a',
    mac: `fa:16:3e:00:00:${id.slice(-2).padStart(2, '0')}`,
    ips,
    deviceOwner: 'compute:nova',
    deviceId: `i-${id}`,
    host,
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
    ...(pairs.length
      ? { allowedAddressPairs: pairs.map((ipAddress) => ({ ipAddress, macAddress: 'fa:16:3e:00:00:99' })) }
      : {}),
  };
}

describe('prefixes (src/core/cidr.ts)', () => {
  it.each([
    ['10.0.0.0/24', '10.0.0.255', true],
    ['10.0.0.0/24', '10.0.1.0', false],
    ['10.0.0.7', '10.0.0.7', true],
    ['0.0.0.0/0', '192.0.2.1', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/64', '2001:db8::ffff:1', true],
    ['2001:db8::/64', '2001:db8:0:1::1', false],
  ])('%s contains %s: %s', (prefix, ip, expected) => {
    const p = parsePrefix(prefix);
    if (!p) throw new Error(`${prefix} did not parse`);
    expect(prefixContains(p, ip)).toBe(expected);
  });

  it('formats IPv6 as RFC 5952 does: the longest zero run, the first of equals', () => {
    const f = (s: string) => formatPrefix(parsePrefix(s) ?? { family: 4, base: 0n, length: 0 });
    expect(f('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(f('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(f('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(f('::')).toBe('::');
    expect(f('1::/16')).toBe('1::/16');
  });
});

describe('an allowed-address pair must not cover a fixed IP another port holds (aap_overlaps_fixed_ip)', () => {
  const bound = port('p1', ['10.0.0.11']);

  it('rejects a pair equal to, or a prefix containing, a bound port’s fixed IP', () => {
    for (const pair of ['10.0.0.11', '10.0.0.0/24', '0.0.0.0/0']) {
      const vip = port('p2', ['10.0.0.12'], [pair]);
      expect(findAapOverlap(vip, [bound])).toMatchObject({ aapPort: 'p2', fixedPort: 'p1', ip: '10.0.0.11' });
    }
  });

  it('rejects a bound port whose fixed IP lies in another port’s pair (the other direction)', () => {
    const vip = port('p2', ['10.0.0.12'], ['10.0.0.0/28']);
    expect(findAapOverlap(port('p3', ['10.0.0.13']), [vip])).toMatchObject({
      aapPort: 'p2',
      fixedPort: 'p3',
    });
  });

  it('allows the VIP reservation pattern: an unbound port holds the VIP as a fixed IP, the VM ports as a pair', () => {
    const reservation = port('vip', ['10.0.0.100'], [], '');
    const a = port('a1', ['10.0.0.21'], ['10.0.0.100']);
    const b = port('b1', ['10.0.0.22'], ['10.0.0.100']);
    expect(findAapOverlap(a, [reservation, b])).toBeNull();
    expect(findAapOverlap(reservation, [a, b])).toBeNull();
    // once the reservation port is bound it holds the address, and the pairs conflict with it
    expect(findAapOverlap({ ...reservation, host: 'compute-9' }, [a, b])).toMatchObject({ fixedPort: 'vip' });
  });

  it('allows a pair covering the port’s own fixed IP, other families and other networks', () => {
    expect(findAapOverlap(port('p2', ['10.0.0.12'], ['10.0.0.0/24']), [])).toBeNull();
    expect(findAapOverlap(port('p2', ['10.0.0.12'], ['::/0']), [bound])).toBeNull();
    expect(
      findAapOverlap(port('p2', ['10.0.0.12'], ['10.0.0.11']), [{ ...bound, networkId: 'net-b' }]),
    ).toBeNull();
  });

  it('keeps an IPv4 address and its IPv4-mapped IPv6 form apart (ARP and ND are separate tables), as the kernel does', () => {
    const mapped = port('p3', ['::ffff:a00:b']);
    expect(findAapOverlap(port('p2', ['10.0.0.12'], ['10.0.0.11']), [mapped])).toBeNull();
    expect(findAapOverlap(port('p2', ['10.0.0.12'], ['::ffff:a00:b']), [bound])).toBeNull();
    // ...while a prefix over the mapped range covers the mapped fixed IP, whatever its spelling
    expect(findAapOverlap(port('p2', ['10.0.0.12'], ['::ffff:0:0/96']), [mapped])).toMatchObject({
      fixedPort: 'p3',
      ip: '::ffff:a00:b',
    });
  });

  it('whatever order ports arrive in, the accepted ones never overlap (both directions are checked)', () => {
    const ip = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.130');
    const pair = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.0/30', '10.0.0.128/25');
    const portArb = fc.record({
      ips: fc.uniqueArray(ip, { maxLength: 2 }),
      pairs: fc.uniqueArray(pair, { maxLength: 2 }),
      bound: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(portArb, { minLength: 2, maxLength: 6 }), (specs) => {
        const accepted: Port[] = [];
        specs.forEach((s, i) => {
          const p = port(`p${i}`, s.ips, s.pairs, s.bound ? `host-${i}` : '');
          if (!findAapOverlap(p, accepted)) accepted.push(p);
        });
        for (const a of accepted)
          for (const b of accepted) {
            if (a === b || b.host === '') continue;
            for (const pr of a.allowedAddressPairs ?? []) {
              const prefix = parsePrefix(pr.ipAddress);
              if (!prefix) throw new Error(pr.ipAddress);
              expect(b.ips.filter((x) => prefixContains(prefix, x))).toEqual([]);
            }
          }
      }),
      { numRuns: 300 },
    );
  });
});
