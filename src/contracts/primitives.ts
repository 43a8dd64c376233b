import { z } from 'zod';

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

/** Hosts, as Neutron's `host` (a hostname). */
export const hostSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'invalid host name');

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
  /** Hosts an HA router is scheduled on. */
  maxRouterHosts: 16,
  /** Network types one agent reports. */
  maxNetworkTypes: 8,
  /** Networks in one `agent.applied` report (its body stays under maxEventBytes anyway). */
  maxAppliedNetworks: 256,
} as const;
