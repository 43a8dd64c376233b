import { hostIpSchema, macSchema, SEGMENT_RANGES } from '../src/contracts/primitives.js';
import { AgentCommandError } from './agent-error.js';

/**
 * Every value that ends up in an iproute2 argument passes through one of these checks, even when
 * it already passed the command schema: the agent runs as root, so the last gate sits right in
 * front of the executor (guarantee 7, docs/architecture.md). Each check returns the controller's
 * canonical form; `readDeviceState` converts what the kernel prints back into that form (they
 * differ for IPv4-mapped IPv6 addresses), so reconciling compares like with like.
 */

export const FLOODING_MAC = '00:00:00:00:00:00';
export const FLOODING_IP = '0.0.0.0';
/** 24-bit VNI; 0 is reserved: the controller's own range for VXLAN (`SEGMENT_RANGES`). */
export const [MIN_VNI, MAX_VNI] = SEGMENT_RANGES.vxlan;
/** IFNAMSIZ is 16 including the NUL byte. */
export const MAX_IFNAME = 15;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IFNAME = /^[a-z][a-z0-9-]*$/;
const NETNS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A unicast MAC, lower-cased. The all-zero MAC is only ever written by the flooding operations. */
export function assertMac(value: unknown): string {
  const parsed = macSchema.safeParse(value);
  if (!parsed.success) {
    throw new AgentCommandError('invalid_mac', `${JSON.stringify(value)?.slice(0, 60)} is not a unicast MAC`);
  }
  return parsed.data;
}

/**
 * An IPv4 or IPv6 address in canonical form that one host can own: the same rule the controller's
 * inbound contracts apply to fixed IPs and tunnel IPs (`unusableIpReason`), so it never accepts a
 * fact this agent must refuse.
 */
export function assertIp(value: unknown): string {
  const parsed = hostIpSchema.safeParse(value);
  if (!parsed.success) {
    throw new AgentCommandError(
      'invalid_ip',
      `${JSON.stringify(value)?.slice(0, 60)} is not a usable IP address`,
    );
  }
  if (!parsed.data.includes(':') && !IPV4.test(parsed.data)) {
    throw new AgentCommandError(
      'invalid_ip',
      `${JSON.stringify(value)?.slice(0, 60)} is not a canonical IPv4 address`,
    );
  }
  return parsed.data;
}

export function ipFamily(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

export function assertVni(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_VNI || value > MAX_VNI) {
    throw new AgentCommandError(
      'invalid_vni',
      `VNI ${JSON.stringify(value)} is outside ${MIN_VNI}..${MAX_VNI}`,
    );
  }
  return value;
}

/** A Linux interface name the agent may create or touch: lower-case, digits, dashes, at most 15. */
export function assertDeviceName(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_IFNAME || !IFNAME.test(value)) {
    throw new AgentCommandError(
      'invalid_device_name',
      `${JSON.stringify(value)?.slice(0, 60)} is not a valid interface name (^[a-z][a-z0-9-]*$, <= ${MAX_IFNAME})`,
    );
  }
  return value;
}

export function assertNetnsName(value: unknown): string {
  if (typeof value !== 'string' || !NETNS.test(value)) {
    throw new AgentCommandError(
      'invalid_device_name',
      `${JSON.stringify(value)?.slice(0, 60)} is not a valid netns name`,
    );
  }
  return value;
}

/** The VXLAN device of a segment: `vx-<vni>` (at most 11 characters). */
export function vxlanDeviceName(vni: number): string {
  return assertDeviceName(`vx-${assertVni(vni)}`);
}

/** The Linux bridge a segment's VXLAN device is enslaved to, Linux-bridge-agent style. */
export function bridgeDeviceName(prefix: string, vni: number): string {
  return assertDeviceName(`${prefix}${assertVni(vni)}`);
}
