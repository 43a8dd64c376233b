/** Builders of the frames a VM sends to announce an address, byte by byte, for the parser's tests. */

export function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => Number.parseInt(h, 16));
}

function ipv6Bytes(ip: string): number[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const u16 = (n: number) => [n >> 8, n & 0xff];

export interface GarpOptions {
  readonly ethSource?: string;
  readonly ethDest?: string;
  readonly sender?: string;
  readonly target?: string;
  readonly op?: number;
  readonly htype?: number;
  readonly ethertype?: number;
}

/** A gratuitous ARP request: sender = target = `ip`, from `mac`. */
export function garp(ip: string, mac: string, o: GarpOptions = {}): Uint8Array {
  const v4 = (a: string) => a.split('.').map(Number);
  return Uint8Array.from([
    ...macBytes(o.ethDest ?? 'ff:ff:ff:ff:ff:ff'),
    ...macBytes(o.ethSource ?? mac),
    ...u16(o.ethertype ?? 0x0806),
    ...u16(o.htype ?? 1),
    ...u16(0x0800),
    6,
    4,
    ...u16(o.op ?? 1),
    ...macBytes(mac),
    ...v4(o.sender ?? ip),
    ...macBytes('ff:ff:ff:ff:ff:ff'),
    ...v4(o.target ?? ip),
  ]);
}

export interface NaOptions {
  readonly ethSource?: string;
  readonly lladdr?: string | null;
  readonly hopLimit?: number;
  readonly flags?: number;
  readonly code?: number;
  readonly source?: string;
  readonly corruptChecksum?: boolean;
  readonly extraOptions?: number[];
}

/** An unsolicited neighbour advertisement for `ip` at `mac`, to all nodes, with a valid checksum. */
export function unsolicitedNa(ip: string, mac: string, o: NaOptions = {}): Uint8Array {
  const src = ipv6Bytes(o.source ?? 'fe80::1');
  const dst = ipv6Bytes('ff02::1');
  const option = o.lladdr === null ? [] : [2, 1, ...macBytes(o.lladdr ?? mac)];
  const icmp = [
    136,
    o.code ?? 0,
    0,
    0,
    o.flags ?? 0x20,
    0,
    0,
    0,
    ...ipv6Bytes(ip),
    ...option,
    ...(o.extraOptions ?? []),
  ];
  let sum = 0;
  const words = [
    ...src,
    ...dst,
    ...u16(icmp.length >> 16),
    ...u16(icmp.length & 0xffff),
    0,
    0,
    0,
    58,
    ...icmp,
  ];
  if (words.length % 2) words.push(0);
  for (let i = 0; i < words.length; i += 2) sum += (words[i] as number) * 256 + (words[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const checksum = (~sum & 0xffff) ^ (o.corruptChecksum ? 1 : 0);
  icmp[2] = checksum >> 8;
  icmp[3] = checksum & 0xff;
  return Uint8Array.from([
    ...macBytes('33:33:00:00:00:01'),
    ...macBytes(o.ethSource ?? mac),
    ...u16(0x86dd),
    0x60,
    0,
    0,
    0,
    ...u16(icmp.length),
    58,
    o.hopLimit ?? 255,
    ...src,
    ...dst,
    ...icmp,
  ]);
}

/** A classic pcap stream (little-endian, microseconds, Ethernet) holding `frames`. */
export function pcap(
  frames: readonly Uint8Array[],
  options: { linkType?: number; snaplen?: number } = {},
): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(options.snaplen ?? 512, 16);
  header.writeUInt32LE(options.linkType ?? 1, 20);
  const records = frames.map((f) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([header, ...records]);
}
