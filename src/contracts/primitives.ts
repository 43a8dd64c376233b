import { z } from 'zod';
import { formatPrefix, isSingleAddress, parsePrefix } from '../core/cidr.js';

/** Lower-case colon-separated unicast MAC; the all-zero MAC is reserved for the flooding entry. */
export const macSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/, 'invalid_mac: expected six colon-separated hex octets')
  .transform((s) => s.toLowerCase())
  .refine((s) => s !== '00:00:00:00:00:00', 'invalid_mac: the all-zero MAC is the flooding entry')
  .refine((s) => (Number.parseInt(s.slice(0, 2), 16) & 1) === 0, 'invalid_mac: multicast MAC');

/** An IPv4 or IPv6 address in canonical form (IPv6 compressed and lower-case, via the WHATWG URL parser). */
export const ipSchema = z.union([
  z.ipv4({ error: 'invalid_ip: not an IPv4 address' }),
  z
    .ipv6({ error: 'invalid_ip: not an IPv6 address' })
    .transform((s) => new URL(`http://[${s}]`).hostname.slice(1, -1)),
]);

/**
 * Why an address cannot be a port's fixed IP or an agent's tunnel IP, or null when it can. One
 * rule for the inbound contracts and the reference agent (`agent/kernel-values.ts`), so the
 * controller never accepts a fact an agent must refuse. Refused: unspecified (0.0.0.0/8, ::),
 * broadcast (255.255.255.255), multicast (224.0.0.0/4, ff00::/8) and loopback (127.0.0.0/8, ::1):
 * none names one host behind one VTEP, and the agent would install a neighbour or FDB entry that
 * the kernel refuses or that captures traffic the host itself owns. Link-local addresses
 * (169.254.0.0/16, fe80::/10) are allowed: Neutron allows them as fixed IPs and the kernel takes
 * neighbour entries for them. `ip` is canonical (the output of `ipSchema`).
 */
export function unusableIpReason(ip: string): string | null {
  if (ip.includes(':')) {
    if (ip === '::') return 'the unspecified address';
    if (ip === '::1') return 'a loopback address';
    if (/^ff[0-9a-f]{2}:/.test(ip)) return 'a multicast address';
    return null;
  }
  const first = Number(ip.split('.')[0]);
  if (first === 0) return 'an unspecified ("this network") address';
  if (first === 127) return 'a loopback address';
  if (first >= 224 && first <= 239) return 'a multicast address';
  if (ip === '255.255.255.255') return 'the broadcast address';
  return null;
}

/** An address one host can own behind a VTEP: a fixed IP or a tunnel IP (`unusableIpReason`). */
export const hostIpSchema = ipSchema.superRefine((ip, ctx) => {
  const reason = unusableIpReason(ip);
  if (reason) ctx.addIssue({ code: 'custom', message: `invalid_ip: ${ip} is ${reason}` });
});

/**
 * Segment ids an agent can program, per network type: a VXLAN VNI or GENEVE VNI is 24 bits, a
 * GRE key 32 bits (Neutron's ranges), and 0 is reserved for all tunnel types (the reference agent
 * refuses VNI 0, `agent/kernel-values.ts`). VLAN ids are 1-4094; flat and local carry none (any
 * value in 0..2^24-1 is kept, as before).
 */
export const SEGMENT_RANGES = {
  vxlan: [1, 16_777_215],
  geneve: [1, 16_777_215],
  gre: [1, 4_294_967_295],
  ip6gre: [1, 4_294_967_295],
  vlan: [1, 4094],
  flat: [0, 16_777_215],
  local: [0, 16_777_215],
} as const satisfies Record<string, readonly [number, number]>;

/** Why `segmentId` is outside its type's range, or null. */
export function segmentRangeReason(
  networkType: keyof typeof SEGMENT_RANGES,
  segmentId: number,
): string | null {
  const [min, max] = SEGMENT_RANGES[networkType];
  return segmentId >= min && segmentId <= max
    ? null
    : `${networkType} segment ${segmentId} is outside ${min}..${max}`;
}

/**
 * Hosts, as Neutron's `host` (a hostname, often fully qualified): letters, digits and `._-`, up
 * to 128 characters. Neutron allows 255, but a host is the FIFO group of its agent's events, and
 * an SQS `MessageGroupId` holds at most 128. Before 2026-12-07 the limit was 63 (one DNS label), which
 * refused every port bound to a host with a longer fully qualified name.
 */
export const hostSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'invalid host name');

/** Neutron ids are UUIDs; traces also use names. Letters, digits and `._:-`, 1-128 characters. */
export const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'invalid id');

export const NETWORK_TYPES = ['vxlan', 'gre', 'geneve', 'ip6gre', 'vlan', 'flat', 'local'] as const;
export const networkTypeSchema = z.enum(NETWORK_TYPES);

export const revisionSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Limits that keep one port and one event far below the SQS and DynamoDB item limits. */
export const LIMITS = {
  /** Bytes of one inbound message body. */
  maxEventBytes: 16 * 1024,
  /** Fixed IPs of one port (Neutron's default `max_fixed_ips_per_port` is 5). */
  maxIpsPerPort: 32,
  /**
   * Allowed-address pairs of one port. Neutron's `max_allowed_address_pair` defaults to 10 and
   * operators raise it, as they raise `max_fixed_ips_per_port`; 32 matches `maxIpsPerPort`.
   */
  maxAllowedAddressPairs: 32,
  /** Hosts an HA router is scheduled on. */
  maxRouterHosts: 16,
  /** Network types one agent reports. */
  maxNetworkTypes: 8,
  /** Networks in one `agent.applied` report (its body stays under maxEventBytes anyway). */
  maxAppliedNetworks: 256,
  /**
   * Networks in one `agent.audit`: 60 of the longest (128-character ids, the largest counts and
   * versions) stay under maxEventBytes (test/contract/agent-audit.test.ts).
   */
  maxAuditNetworks: 60,
  /** Entries of one kind an agent may hold in one network (`agent.audit` counts). */
  maxAuditEntries: 10_000_000,
} as const;

/**
 * An allowed-address pair's `ip_address`: an address or a prefix (`10.0.0.0/24`, `2001:db8::/64`),
 * as Neutron's `validate_ip_address` / `validate_subnet` take it, made canonical: host bits
 * cleared (Neutron keeps `10.0.0.5/24` and treats it as the /24), a /32 or /128 written as the bare
 * address, IPv6 compressed. A bare address must also be one a host can own (`unusableIpReason`):
 * under master-binding it becomes an ARP or neighbour entry. A wider prefix is never programmed
 * itself, only the addresses claimed inside it (each checked as a `vip.claim` IP).
 */
export const aapAddressSchema = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const [address = '', length] = text.split('/');
    const ip = ipSchema.safeParse(address);
    const prefix = ip.success ? parsePrefix(length === undefined ? ip.data : `${ip.data}/${length}`) : null;
    if (!prefix) {
      ctx.addIssue({
        code: 'custom',
        message: `invalid_aap: ${JSON.stringify(text)} is not an IP address or prefix`,
      });
      return z.NEVER;
    }
    const canonical = formatPrefix(prefix);
    const reason = isSingleAddress(prefix) ? unusableIpReason(canonical) : null;
    if (reason) {
      ctx.addIssue({ code: 'custom', message: `invalid_aap: ${canonical} is ${reason}` });
      return z.NEVER;
    }
    return canonical;
  });

/** One pair as the event carries it; the MAC defaults to the port's own (`portSchema`). */
export const aapSchema = z.strictObject({
  ipAddress: aapAddressSchema,
  macAddress: macSchema.optional(),
});
