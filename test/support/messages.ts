import { parseInboundEvent } from '../../src/contracts/parse.js';
import {
  agentReportBody,
  flagsSetBody,
  type NetworkRef,
  portDeleteBody,
  type VipClaimSpec,
  type VmPortSpec,
  vipClaimBody,
  vmPortBody,
} from './inbound-bodies.js';
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
  return message(
    'agent',
    host,
    agentReportBody(host, tunnelIp, kernel ? 'linuxbridge-proxy' : 'ovs', bootId),
  );
}

/** A `flags.set` of a default strategy on the HA queue. */
export const flagsSet = (defaultStrategy: string, revision = 1): WorkloadMessage =>
  message('ha', 'flags', flagsSetBody(defaultStrategy, revision));

/** A VM port's `port.upsert` on the port queue, grouped by its network. */
export const vmPortUpsert = (network: NetworkRef, p: VmPortSpec): WorkloadMessage =>
  message('port', network.id, vmPortBody(network, p));

/** A `port.delete` on the port queue, grouped by its network. */
export const portDelete = (networkId: string, portId: string, revision: number): WorkloadMessage =>
  message('port', networkId, portDeleteBody(networkId, portId, revision));

/** A `vip.claim` on the agent queue, grouped by the claiming host. */
export const vipClaim = (c: VipClaimSpec): WorkloadMessage => message('agent', c.host, vipClaimBody(c));

/** An `agent.resync` of one network after the agent's boot. */
export const agentResync = (host: string, networkId: string): WorkloadMessage =>
  message('agent', host, { type: 'agent.resync', host, networkId, reason: 'boot' });

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
