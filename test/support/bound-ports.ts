import type { Port } from '../../src/core/types.js';

/**
 * The ports bound to `host` as an agent there should hold them, restated from the raw port facts
 * (not with src/core/local-ports.ts): every port whose `binding:host_id` is `host`, whatever its
 * status, with its MAC, fixed IPs, and pairs (none: empty), ordered by id.
 */
export function boundPortsOf(ports: Iterable<Port>, host: string) {
  return [...ports]
    .filter(
      (p) => p.host === host && host !== '' && p.status === 'ACTIVE' && !/^network:/.test(p.deviceOwner),
    )
    .map((p) => ({
      id: p.id,
      mac: p.mac,
      ips: [...p.ips],
      allowedAddressPairs: (p.allowedAddressPairs ?? []).map((a) => ({
        ipAddress: a.ipAddress,
        macAddress: a.macAddress,
      })),
    }))
    .sort((a, b) => a.id.localeCompare(b.id, 'en'));
}
