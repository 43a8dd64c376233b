import { parseInboundEvent } from '../../src/contracts/parse.js';
import { isInvalidInputError } from '../../src/core/errors.js';

/** What the inbound contracts make of a body: `accepted`, or the rejection code. */
export function inboundCode(body: unknown): string {
  try {
    parseInboundEvent(JSON.stringify(body));
    return 'accepted';
  } catch (err) {
    return isInvalidInputError(err) ? err.code : String(err);
  }
}

/** A bound VM port's `port.upsert` in network `n1` (VXLAN 7), with `fields` over the port's defaults. */
export function vmPortUpsert(fields: { readonly ips?: readonly string[]; readonly host?: string } = {}) {
  return {
    type: 'port.upsert',
    v: 1,
    network: { id: 'n1', networkType: 'vxlan', segmentId: 7 },
    port: {
      ...{
        id: 'p1',
        networkId: 'n1',
        mac: 'fa:16:3e:00:00:01',
        ips: ['10.0.0.5'],
        deviceOwner: 'compute:nova',
      },
      ...{ deviceId: 'vm1', host: 'h1', status: 'ACTIVE', revision: 1 },
      ...fields,
    },
  };
}

/** An `agent.report`, with `fields` over its defaults (host `h1`, tunnel IP 192.0.2.7). */
export function agentReport(fields: { readonly host?: string; readonly tunnelIp?: string | null } = {}) {
  return {
    ...{
      type: 'agent.report',
      v: 1,
      host: 'h1',
      tunnelIp: '192.0.2.7',
      agentType: 'x',
      networkTypes: ['vxlan'],
    },
    ...{ capabilities: { learning: true, arp: 'off' }, bootId: 'b', revision: 1 },
    ...fields,
  };
}
