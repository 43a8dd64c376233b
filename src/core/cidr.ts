/**
 * IP prefixes as numbers, for allowed-address pairs and VIP claims. Inputs are canonical (the
 * output of the contracts' `ipSchema`, or `canonicalCidr`): dotted-quad IPv4, compressed lower-case
 * hex IPv6 with no embedded IPv4. A plain address is its own /32 or /128.
 */
export interface Prefix {
  readonly family: 4 | 6;
  /** The network address: host bits are zero. */
  readonly base: bigint;
  readonly length: number;
}

function parseIpv4(ip: string): bigint | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseIpv6(ip: string): bigint | null {
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  let n = 0n;
  for (const g of [...head, ...Array<string>(missing).fill('0'), ...tail]) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(`0x${g}`);
  }
  return n;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);
const mask = (family: 4 | 6, length: number) =>
  ((1n << BigInt(bits(family))) - 1n) ^ ((1n << BigInt(bits(family) - length)) - 1n);

/** Parses `address` or `address/length`; null when it is neither. Host bits are cleared. */
export function parsePrefix(text: string): Prefix | null {
  const [address = '', length, ...rest] = text.split('/');
  if (rest.length > 0) return null;
  const family = address.includes(':') ? 6 : 4;
  const value = family === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === null) return null;
  if (length !== undefined && !/^(0|[1-9][0-9]{0,2})$/.test(length)) return null;
  const len = length === undefined ? bits(family) : Number(length);
  if (len > bits(family)) return null;
  return { family, base: value & mask(family, len), length: len };
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((value >> s) & 0xffffn).toString(16));
  // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes `::`
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** The canonical spelling: the address alone for a /32 or /128, else `network/length`. */
export function formatPrefix(p: Prefix): string {
  const address = formatAddress(p.family, p.base);
  return p.length === bits(p.family) ? address : `${address}/${p.length}`;
}

/** True when `ip` (a canonical address) lies inside `prefix`. */
export function prefixContains(prefix: Prefix, ip: string): boolean {
  const addr = parsePrefix(ip);
  return (
    addr !== null &&
    addr.family === prefix.family &&
    addr.length === bits(addr.family) &&
    (addr.base & mask(prefix.family, prefix.length)) === prefix.base
  );
}

/** True when the prefix is one address (a /32 or a /128). */
export function isSingleAddress(p: Prefix): boolean {
  return p.length === bits(p.family);
}

/** A value of the family as fixed-width lower-case hex (8 or 32 digits): sorts like the number. */
function hexOf(family: 4 | 6, value: bigint): string {
  return value.toString(16).padStart(bits(family) / 4, '0');
}

/**
 * The first and last address of the prefix as fixed-width hex (`hexOf`), so that an address lies
 * inside it exactly when its `addressHex` sorts between the two.
 */
export function prefixHexRange(p: Prefix): { readonly first: string; readonly last: string } {
  const host = (1n << BigInt(bits(p.family) - p.length)) - 1n;
  return { first: hexOf(p.family, p.base), last: hexOf(p.family, p.base | host) };
}

/** A canonical address as its family and fixed-width hex (`prefixHexRange`); null when not one address. */
export function addressHex(ip: string): { readonly family: 4 | 6; readonly hex: string } | null {
  const p = parsePrefix(ip);
  return p && isSingleAddress(p) ? { family: p.family, hex: hexOf(p.family, p.base) } : null;
}
