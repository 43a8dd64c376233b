import { parsePrefix, prefixContains } from './cidr.js';
import type { AllowedAddressPair, Port } from './types.js';

/**
 * A port holds its fixed IPs in the data plane when it is bound (a host, or DVR hosts): only then
 * does it give agents `[mac, ip]` entries. An unbound port that only reserves an address (the
 * Octavia VIP port, a keepalived recipe's "VIP port", OVN's virtual-port parent pattern) holds
 * nothing, so other ports may carry its address as an allowed-address pair: that is how VIPs are
 * set up in Neutron.
 */
export function holdsFixedIps(port: Port): boolean {
  return port.host !== '' || port.dvrHosts.length > 0;
}

export function pairsOf(port: Port): readonly AllowedAddressPair[] {
  return port.allowedAddressPairs ?? [];
}

/** True when the pair's address or prefix contains `ip` (canonical). */
export function pairCovers(pair: AllowedAddressPair, ip: string): boolean {
  const prefix = parsePrefix(pair.ipAddress);
  return prefix !== null && prefixContains(prefix, ip);
}

/** An allowed-address pair of `aapPort` that covers a fixed IP of `fixedPort`. */
export interface AapOverlap {
  readonly aapPort: string;
  readonly pair: AllowedAddressPair;
  readonly fixedPort: string;
  readonly ip: string;
}

function overlapBetween(aapPort: Port, fixedPort: Port): AapOverlap | null {
  if (aapPort.id === fixedPort.id || !holdsFixedIps(fixedPort)) return null;
  for (const pair of pairsOf(aapPort))
    for (const ip of fixedPort.ips)
      if (pairCovers(pair, ip)) return { aapPort: aapPort.id, pair, fixedPort: fixedPort.id, ip };
  return null;
}

/**
 * The first overlap (`aap_overlaps_fixed_ip`) between `port` and the other live ports of its
 * network: one of its pairs covers a fixed IP another port holds, or (when `port` holds its fixed
 * IPs) one of those lies in another port's pair. The port events record such a port and report
 * the overlap; claims of the held address are refused (docs/vip.md). `others` may include `port`
 * itself and ports of other networks; both are skipped.
 */
export function findAapOverlap(port: Port, others: readonly Port[]): AapOverlap | null {
  for (const other of others) {
    if (other.networkId !== port.networkId) continue;
    const found = overlapBetween(port, other) ?? overlapBetween(other, port);
    if (found) return found;
  }
  return null;
}
