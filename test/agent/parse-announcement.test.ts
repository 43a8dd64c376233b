import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, PcapFormatError, PcapStream } from '../../agent/parse-announcement.js';
import { vipClaimV1 } from '../../src/contracts/events.js';
import { garp, pcap, unsolicitedNa } from './announcement-frames.js';

const MAC = 'fa:16:3e:00:00:10';
const VMAC = '00:00:5e:00:01:01';

describe('decodeFrame: gratuitous ARP', () => {
  it('reads the address and the MAC a gratuitous ARP request or reply announces', () => {
    expect(decodeFrame(garp('192.0.2.100', MAC))).toEqual({
      kind: 'announcement',
      announcement: { kind: 'garp', ip: '192.0.2.100', mac: MAC },
    });
    expect(decodeFrame(garp('192.0.2.100', VMAC, { op: 2 }))).toMatchObject({
      kind: 'announcement',
      announcement: { ip: '192.0.2.100', mac: VMAC },
    });
  });

  it('ignores ordinary ARP and probes, which name no owner', () => {
    expect(decodeFrame(garp('192.0.2.100', MAC, { target: '192.0.2.1' })).kind).toBe('ignored');
    expect(decodeFrame(garp('0.0.0.0', MAC)).kind).toBe('ignored');
  });

  it.each([
    [
      'a sender MAC other than the frame source',
      garp('192.0.2.100', MAC, { ethSource: 'fa:16:3e:00:00:99' }),
      'mac_mismatch',
    ],
    ['a hardware type other than Ethernet', garp('192.0.2.100', MAC, { htype: 6 }), 'malformed_arp'],
    ['an unknown operation', garp('192.0.2.100', MAC, { op: 3 }), 'malformed_arp'],
    ['a multicast address', garp('224.0.0.18', MAC), 'invalid_ip'],
    ['a loopback address', garp('127.0.0.1', MAC), 'invalid_ip'],
    ['the broadcast address', garp('255.255.255.255', MAC), 'invalid_ip'],
    ['a multicast MAC', garp('192.0.2.100', '01:00:5e:00:00:01'), 'invalid_mac'],
    ['a VLAN tag', garp('192.0.2.100', MAC, { ethertype: 0x8100 }), 'vlan_tagged'],
  ])('refuses an announcement with %s', (_what, frame, reason) => {
    expect(decodeFrame(frame)).toMatchObject({ kind: 'dropped', reason });
  });

  it('ignores other ethertypes', () => {
    expect(decodeFrame(garp('192.0.2.100', MAC, { ethertype: 0x0800 }))).toMatchObject({ kind: 'ignored' });
  });
});

describe('decodeFrame: unsolicited neighbour advertisement', () => {
  it('reads the target and its link-layer address, in canonical form', () => {
    expect(decodeFrame(unsolicitedNa('2001:0db8:0000:0000:0000:0000:0000:0100', MAC))).toEqual({
      kind: 'announcement',
      announcement: { kind: 'unsolicited_na', ip: '2001:db8::100', mac: MAC },
    });
  });

  it('ignores a solicited advertisement (an answer, not an announcement)', () => {
    expect(decodeFrame(unsolicitedNa('2001:db8::100', MAC, { flags: 0x60 })).kind).toBe('ignored');
  });

  it.each([
    [
      'a hop limit other than 255 (sent from off-link)',
      unsolicitedNa('2001:db8::100', MAC, { hopLimit: 64 }),
      'bad_hop_limit',
    ],
    ['a bad checksum', unsolicitedNa('2001:db8::100', MAC, { corruptChecksum: true }), 'bad_checksum'],
    ['a non-zero code', unsolicitedNa('2001:db8::100', MAC, { code: 1 }), 'malformed_na'],
    ['no target link-layer option', unsolicitedNa('2001:db8::100', MAC, { lladdr: null }), 'no_target_mac'],
    [
      'a link-layer option other than the source',
      unsolicitedNa('2001:db8::100', MAC, { lladdr: VMAC }),
      'mac_mismatch',
    ],
    ['a zero-length option', unsolicitedNa('2001:db8::100', MAC, { extraOptions: [1, 0] }), 'malformed_na'],
    [
      'an option running past the end',
      unsolicitedNa('2001:db8::100', MAC, { extraOptions: [1, 2, 0, 0, 0, 0, 0, 0] }),
      'malformed_na',
    ],
    ['a multicast target', unsolicitedNa('ff02::1', MAC), 'invalid_ip'],
    ['the unspecified target', unsolicitedNa('::', MAC), 'invalid_ip'],
    ['the loopback target', unsolicitedNa('::1', MAC), 'invalid_ip'],
  ])('refuses an advertisement with %s', (_what, frame, reason) => {
    expect(decodeFrame(frame)).toMatchObject({ kind: 'dropped', reason });
  });

  it('refuses an advertisement whose IPv6 payload length claims more than was captured', () => {
    const frame = unsolicitedNa('2001:db8::100', MAC);
    frame[18] = 0xff; // payload length high byte
    expect(decodeFrame(frame)).toMatchObject({ kind: 'dropped', reason: 'truncated' });
  });
});

describe('decodeFrame on hostile bytes', () => {
  it('never announces anything from a truncated frame, at any length', () => {
    for (const full of [garp('192.0.2.100', MAC), unsolicitedNa('2001:db8::100', MAC)]) {
      for (let n = 0; n < full.length; n++) {
        const d = decodeFrame(full.subarray(0, n));
        expect(d.kind, `cut at ${n}`).not.toBe('announcement');
      }
      expect(decodeFrame(full).kind).toBe('announcement');
    }
  });

  it('never throws, and whatever it accepts is a valid claim address and MAC (random bytes and mutated frames)', () => {
    const seeds = [garp('192.0.2.100', MAC), unsolicitedNa('2001:db8::100', MAC)];
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(120), fc.nat(255)), { maxLength: 6 }))
      .map(([seed, edits]) => {
        const f = Uint8Array.from(seed);
        for (const [at, v] of edits) if (at < f.length) f[at] = v;
        return f;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated), (frame) => {
        const d = decodeFrame(frame);
        if (d.kind !== 'announcement') return;
        const { kind, ip, mac } = d.announcement;
        const claim = {
          type: 'vip.claim',
          v: 1,
          host: 'h',
          networkId: 'n',
          portId: 'p',
          ip,
          mac,
          kind,
          at: 1,
          seq: 0,
        };
        expect(vipClaimV1.parse(claim)).toMatchObject({ ip, mac });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PcapStream', () => {
  const frames = [garp('192.0.2.100', MAC), unsolicitedNa('2001:db8::100', VMAC)];

  it('returns the same frames however the stream is split into chunks', () => {
    const bytes = pcap(frames);
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new PcapStream();
      const got = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
      expect(
        got.map((f) => Buffer.from(f).toString('hex')),
        `cut at ${cut}`,
      ).toEqual(frames.map((f) => Buffer.from(f).toString('hex')));
    }
  });

  it('reads a big-endian stream', () => {
    const le = pcap(frames.slice(0, 1));
    const be = Buffer.from(le);
    be.writeUInt32BE(0xa1b2c3d4, 0);
    be.writeUInt16BE(2, 4);
    be.writeUInt16BE(4, 6);
    be.writeUInt32BE(512, 16);
    be.writeUInt32BE(1, 20);
    be.writeUInt32BE(frames[0]?.length ?? 0, 24 + 8);
    be.writeUInt32BE(frames[0]?.length ?? 0, 24 + 12);
    expect(new PcapStream().push(be)).toHaveLength(1);
  });

  it.each([
    [
      'text instead of pcap',
      Buffer.from('12:00:00.000 ARP, Request who-has 192.0.2.100 tell 192.0.2.100, length 28'),
    ],
    ['a link type other than Ethernet', pcap(frames, { linkType: 113 })],
    ['a record longer than the snap length', pcap(frames, { snaplen: 40 })],
  ])('throws PcapFormatError on %s', (_what, bytes) => {
    expect(() => new PcapStream().push(bytes)).toThrow(PcapFormatError);
  });
});
