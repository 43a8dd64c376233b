import { hostIpSchema, macSchema } from '../src/contracts/primitives.js';

/**
 * Decoding what a VM sent on its port: the pcap stream `tcpdump -w -` writes, and in it the two
 * kinds of frames that announce an address, a gratuitous ARP (IPv4) and an unsolicited IPv6
 * neighbour advertisement. Everything on the wire is hostile input (a tenant writes those bytes),
 * so every field is checked as strictly as a controller command: lengths before reads, the
 * constant fields of the protocol, the checksum of the advertisement, the link-layer address the
 * frame came from against the one it announces, and the address itself through the contracts'
 * own schemas (canonical form, one a host can own).
 *
 * Hand-written on purpose: the npm pcap decoders are either native libpcap bindings (`pcap`,
 * needs a compiler and libpcap headers at install) or unmaintained since 2014 (`pcap-parser`),
 * and neither decodes neighbour advertisements; the formats read here are two fixed layouts.
 */

export type AnnouncementKind = 'garp' | 'unsolicited_na';

/** An address a port announced, with the MAC it announced it at (canonical, validated). */
export interface Announcement {
  readonly kind: AnnouncementKind;
  readonly ip: string;
  readonly mac: string;
}

/**
 * Why a frame that tried to announce an address was refused. Ordinary traffic the filter lets
 * through (an ARP request for another address, a solicited advertisement) is `ignored`, not refused.
 */
export const DROP_REASONS = [
  'truncated',
  'vlan_tagged',
  'malformed_arp',
  'malformed_na',
  'bad_checksum',
  'bad_hop_limit',
  'no_target_mac',
  'mac_mismatch',
  'invalid_ip',
  'invalid_mac',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Decoded =
  | { readonly kind: 'announcement'; readonly announcement: Announcement }
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly detail: string };

const ETH_HEADER = 14;
const ETHERTYPE = { arp: 0x0806, ipv6: 0x86dd, vlan: 0x8100, qinq: 0x88a8 } as const;
const ARP_LENGTH = 28;
const IPV6_HEADER = 40;
const ICMPV6 = 58;
const NEIGHBOUR_ADVERTISEMENT = 136;
/** Type, code, checksum, flags (4), target (16). */
const NA_LENGTH = 24;
const OPTION_TARGET_LLADDR = 2;

const ignored = (why: string): Decoded => ({ kind: 'ignored', why });
const dropped = (reason: DropReason, detail: string): Decoded => ({ kind: 'dropped', reason, detail });

function hex(bytes: Uint8Array, sep: string): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(sep);
}

function formatMac(bytes: Uint8Array): string {
  return hex(bytes, ':');
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push(((bytes[i] as number) * 256 + (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The address through the contracts' schemas: made canonical (IPv6 compressed), and one a host can own. */
function checkedAddress(kind: AnnouncementKind, raw: string, mac: Uint8Array): Decoded {
  const ip = hostIpSchema.safeParse(raw);
  if (!ip.success) return dropped('invalid_ip', `${raw}: ${ip.error.issues[0]?.message ?? 'invalid'}`);
  const m = macSchema.safeParse(formatMac(mac));
  if (!m.success)
    return dropped('invalid_mac', `${formatMac(mac)}: ${m.error.issues[0]?.message ?? 'invalid'}`);
  return { kind: 'announcement', announcement: { kind, ip: ip.data, mac: m.data } };
}

/**
 * A gratuitous ARP: an Ethernet/IPv4 ARP (request or reply) whose sender and target protocol
 * addresses are one address, sent from the MAC it names as sender. An ARP probe (sender
 * 0.0.0.0, RFC 5227) names no owner and is ignored.
 */
function decodeArp(frame: Uint8Array, view: DataView, ethSource: Uint8Array): Decoded {
  if (frame.length < ETH_HEADER + ARP_LENGTH)
    return dropped('truncated', `ARP frame of ${frame.length} bytes, ${ETH_HEADER + ARP_LENGTH} needed`);
  const o = ETH_HEADER;
  const htype = view.getUint16(o);
  const ptype = view.getUint16(o + 2);
  const hlen = frame[o + 4];
  const plen = frame[o + 5];
  const op = view.getUint16(o + 6);
  if (htype !== 1 || ptype !== 0x0800 || hlen !== 6 || plen !== 4)
    return dropped('malformed_arp', `htype ${htype} ptype 0x${ptype.toString(16)} hlen ${hlen} plen ${plen}`);
  if (op !== 1 && op !== 2) return dropped('malformed_arp', `operation ${op}`);
  const sha = frame.subarray(o + 8, o + 14);
  const spa = frame.subarray(o + 14, o + 18);
  const tpa = frame.subarray(o + 24, o + 28);
  if (!equal(spa, tpa)) return ignored('ARP for another address');
  if (spa.every((b) => b === 0)) return ignored('ARP probe');
  if (!equal(sha, ethSource))
    return dropped('mac_mismatch', `ARP sender ${formatMac(sha)} sent from ${formatMac(ethSource)}`);
  return checkedAddress('garp', [...spa].join('.'), sha);
}

/** The ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and the message. */
function icmpv6ChecksumOk(frame: Uint8Array, ip: number, icmp: Uint8Array): boolean {
  let sum = 0;
  const add16 = (hi: number, lo: number) => {
    sum += hi * 256 + lo;
  };
  for (let i = 8; i < 40; i += 2) add16(frame[ip + i] as number, frame[ip + i + 1] as number);
  sum += icmp.length;
  sum += ICMPV6;
  for (let i = 0; i < icmp.length; i += 2)
    add16(icmp[i] as number, i + 1 < icmp.length ? (icmp[i + 1] as number) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}

/**
 * An unsolicited neighbour advertisement (RFC 4861 §7.2.6): ICMPv6 type 136 code 0 right after
 * the IPv6 header (no extension headers), hop limit 255, a valid checksum, the Solicited flag
 * clear, and a target link-layer address option equal to the frame's source MAC. Without that
 * option the advertisement names no MAC, so it cannot be a claim.
 */
function decodeNa(frame: Uint8Array, view: DataView, ethSource: Uint8Array): Decoded {
  const ip = ETH_HEADER;
  if (frame.length < ip + IPV6_HEADER) return dropped('truncated', `IPv6 frame of ${frame.length} bytes`);
  if ((frame[ip] as number) >> 4 !== 6)
    return dropped('malformed_na', `IP version ${(frame[ip] as number) >> 4}`);
  const payload = view.getUint16(ip + 4);
  if (frame[ip + 6] !== ICMPV6) return ignored(`IPv6 next header ${frame[ip + 6]}`);
  if (frame.length < ip + IPV6_HEADER + payload)
    return dropped(
      'truncated',
      `IPv6 payload of ${payload} bytes, ${frame.length - ip - IPV6_HEADER} captured`,
    );
  const icmp = frame.subarray(ip + IPV6_HEADER, ip + IPV6_HEADER + payload);
  if (icmp.length < 1 || icmp[0] !== NEIGHBOUR_ADVERTISEMENT)
    return ignored('ICMPv6 other than an advertisement');
  if (icmp.length < NA_LENGTH) return dropped('truncated', `advertisement of ${icmp.length} bytes`);
  if (icmp[1] !== 0) return dropped('malformed_na', `code ${icmp[1]}`);
  if (frame[ip + 7] !== 255) return dropped('bad_hop_limit', `hop limit ${frame[ip + 7]}, 255 required`);
  if (!icmpv6ChecksumOk(frame, ip, icmp)) return dropped('bad_checksum', 'ICMPv6 checksum');
  if (((icmp[4] as number) & 0x40) !== 0) return ignored('solicited advertisement');
  const target = icmp.subarray(8, 24);
  let lladdr: Uint8Array | null = null;
  for (let o = NA_LENGTH; o < icmp.length; ) {
    if (o + 2 > icmp.length) return dropped('malformed_na', 'option header past the end');
    const len = (icmp[o + 1] as number) * 8;
    if (len === 0 || o + len > icmp.length) return dropped('malformed_na', `option of length ${len} at ${o}`);
    if (icmp[o] === OPTION_TARGET_LLADDR) {
      if (len !== 8) return dropped('malformed_na', `target link-layer option of ${len} bytes`);
      const mac = icmp.subarray(o + 2, o + 8);
      if (lladdr && !equal(lladdr, mac))
        return dropped('malformed_na', 'two different target link-layer addresses');
      lladdr = mac;
    }
    o += len;
  }
  if (!lladdr) return dropped('no_target_mac', 'no target link-layer address option');
  if (!equal(lladdr, ethSource))
    return dropped(
      'mac_mismatch',
      `target link-layer ${formatMac(lladdr)} sent from ${formatMac(ethSource)}`,
    );
  return checkedAddress('unsolicited_na', formatIpv6(target), lladdr);
}

/** One Ethernet frame, as a port received it from its VM. */
export function decodeFrame(frame: Uint8Array): Decoded {
  if (frame.length < ETH_HEADER) return dropped('truncated', `frame of ${frame.length} bytes`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const ethSource = frame.subarray(6, 12);
  const type = view.getUint16(12);
  if (type === ETHERTYPE.vlan || type === ETHERTYPE.qinq)
    return dropped('vlan_tagged', 'a tagged frame on an untagged port');
  if (type === ETHERTYPE.arp) return decodeArp(frame, view, ethSource);
  if (type === ETHERTYPE.ipv6) return decodeNa(frame, view, ethSource);
  return ignored(`ethertype 0x${type.toString(16).padStart(4, '0')}`);
}

/** pcap's link type for Ethernet (the only one a port's capture may have). */
const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** Larger than any frame on a port (jumbo frames included): a record header above it is corruption. */
const MAX_RECORD = 262_144;

export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';
}

/**
 * The classic pcap stream (`tcpdump -U -w -`), fed in chunks as they arrive: it returns the
 * frames completed by each chunk. A header that is not pcap, a link type other than Ethernet, or a
 * record longer than the snap length throws `PcapFormatError`: the stream is then unusable (the
 * record boundaries are lost), and the watcher restarts the capture.
 */
export class PcapStream {
  #buffer: Buffer = Buffer.alloc(0);
  #little: boolean | null = null;
  #snaplen = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const frames: Uint8Array[] = [];
    let o = 0;
    if (this.#little === null) {
      if (this.#buffer.length < GLOBAL_HEADER) return frames;
      this.#readGlobalHeader();
      o = GLOBAL_HEADER;
    }
    const b = this.#buffer;
    const u32 = (at: number) => (this.#little ? b.readUInt32LE(at) : b.readUInt32BE(at));
    while (b.length - o >= RECORD_HEADER) {
      const incl = u32(o + 8);
      const orig = u32(o + 12);
      if (incl > this.#snaplen || incl > MAX_RECORD || incl > orig)
        throw new PcapFormatError(`record of ${incl} bytes (original ${orig}, snap length ${this.#snaplen})`);
      if (b.length - o - RECORD_HEADER < incl) break;
      // A frame cut by the snap length is handed on cut: the decoder reports it as truncated.
      frames.push(Uint8Array.prototype.slice.call(b, o + RECORD_HEADER, o + RECORD_HEADER + incl));
      o += RECORD_HEADER + incl;
    }
    this.#buffer = b.subarray(o);
    return frames;
  }

  #readGlobalHeader(): void {
    const b = this.#buffer;
    const magic = b.readUInt32LE(0);
    // Microsecond and nanosecond variants, in either byte order.
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.#little = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.#little = false;
    else throw new PcapFormatError(`not a pcap stream (magic 0x${magic.toString(16)})`);
    const u16 = (at: number) => (this.#little ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (at: number) => (this.#little ? b.readUInt32LE(at) : b.readUInt32BE(at));
    if (u16(4) !== 2) throw new PcapFormatError(`pcap version ${u16(4)}.${u16(6)}`);
    this.#snaplen = u32(16);
    const link = u32(20) & 0x0fff_ffff;
    if (link !== LINKTYPE_ETHERNET) throw new PcapFormatError(`link type ${link}, Ethernet (1) expected`);
  }
}
