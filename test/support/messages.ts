import { parseInboundEvent } from '../../src/contracts/parse.js';
import type { InboundQueue, WorkloadMessage } from './workload.js';

/** A workload message whose body is `e` with `v: 1`; `event` is null when it does not parse. */
export function message(queue: InboundQueue, group: string, e: Record<string, unknown>): WorkloadMessage {
  const body = JSON.stringify({ v: 1, ...e });
  let event: WorkloadMessage['event'] = null;
  try {
    event = parseInboundEvent(body);
  } catch {}
  return { queue, group, body, event };
}

/** An `agent.report`: Open vSwitch style, or kernel-ARP-proxy style with `kernel`. */
export function agentReport(host: string, tunnelIp: string, kernel = false, bootId = 'b1'): WorkloadMessage {
  return message('agent', host, {
    type: 'agent.report',
    host,
    tunnelIp,
    agentType: kernel ? 'Linux bridge agent' : 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: kernel ? { learning: false, arp: 'proxy' } : { learning: true, arp: 'responder' },
    bootId,
    revision: 1,
  });
}

export interface PortSpec {
  readonly network: string;
  readonly segmentId: number;
  readonly id: string;
  readonly mac: string;
  readonly ip: string;
  readonly host: string;
  readonly owner?: string;
  readonly device?: string;
  readonly revision?: number;
  /** ACTIVE unless given. */
  readonly status?: 'ACTIVE' | 'DOWN';
  readonly pairs?: readonly { readonly ipAddress: string; readonly macAddress?: string }[];
}

/** A `port.upsert` of a port with one IP (a VM port unless `owner` says otherwise). */
export function portUpsert(p: PortSpec): WorkloadMessage {
  return message('port', p.network, {
    type: 'port.upsert',
    network: { id: p.network, networkType: 'vxlan', segmentId: p.segmentId },
    port: {
      id: p.id,
      networkId: p.network,
      mac: p.mac,
      ips: [p.ip],
      deviceOwner: p.owner ?? 'compute:nova',
      deviceId: p.device ?? `vm-${p.id}`,
      host: p.host,
      status: p.status ?? 'ACTIVE',
      dvrHosts: [],
      revision: p.revision ?? 1,
      ...(p.pairs ? { allowedAddressPairs: p.pairs } : {}),
    },
  });
}

/** A `vip.claim` from `host`: port `portId` announced `ip` with `mac` at `at` (also its `seq`). */
export function vipClaim(
  networkId: string,
  host: string,
  portId: string,
  ip: string,
  mac: string,
  at: number,
): WorkloadMessage {
  return message('agent', host, {
    type: 'vip.claim',
    host,
    networkId,
    portId,
    ip,
    mac,
    kind: 'garp',
    at,
    seq: at,
  });
}
