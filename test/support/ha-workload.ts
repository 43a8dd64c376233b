import { agentReport, message, portUpsert } from './messages.js';
import type { WorkloadMessage } from './workload.js';

const HA_OWNER = 'network:ha_router_replicated_interface';

export interface WideRouterWorkload {
  /** Agents, flags, the router (master h1) and its interfaces with VM ports in every network. */
  readonly setup: WorkloadMessage[];
  /** h2 claims active, then h1 reports standby. */
  readonly failover: WorkloadMessage[];
}

/**
 * One HA router with an interface in each of `networks` networks, as a big tenant router has:
 * far more networks than one DynamoDB transaction (100 items) can hold at about four items each.
 * The first five networks run `tunnel`, the next five `auto`, the rest `master-binding` (the
 * default), so a failover moves unicast entries and presence in most of them. Agents h1-h4 are
 * Open vSwitch style, h5-h6 kernel-ARP-proxy style.
 */
export function wideRouterWorkload(networks: number): WideRouterWorkload {
  const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
  const nets = Array.from({ length: networks }, (_, i) => `wn${i + 1}`);
  const setup: WorkloadMessage[] = hosts.map((host, i) =>
    agentReport(host, `192.0.2.${i + 1}`, i >= 4, `${host}-boot-1`),
  );
  const overrides: Record<string, string> = {};
  for (const [i, id] of nets.entries()) if (i < 10) overrides[id] = i < 5 ? 'tunnel' : 'auto';
  setup.push(
    message('ha', 'flags', {
      type: 'flags.set',
      flags: { defaultStrategy: 'master-binding', rollout: null, networks: overrides, routers: {} },
      revision: 1,
    }),
    message('ha', 'wr', { type: 'ha.schedule', routerId: 'wr', hosts: ['h1', 'h2'], revision: 1 }),
    message('ha', 'wr', { type: 'ha.state', routerId: 'wr', host: 'h1', state: 'active', term: 1, seq: 1 }),
  );
  for (const [i, id] of nets.entries()) {
    const port = (n: number, host: string, owner: string, device: string) =>
      portUpsert({
        network: id,
        segmentId: 3000 + i,
        id: `${id}-p${n}`,
        mac: `fa:16:3e:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}:0${n}`,
        ip: `10.${100 + (i >> 8)}.${i & 255}.${n}`,
        host,
        owner,
        device,
      });
    setup.push(
      port(1, 'h1', HA_OWNER, 'wr'),
      port(2, 'h3', 'compute:nova', `vm-${id}-2`),
      port(3, 'h5', 'compute:nova', `vm-${id}-3`),
    );
    if (i % 2 === 0) setup.push(port(4, i % 4 === 0 ? 'h4' : 'h6', 'compute:nova', `vm-${id}-4`));
  }
  const failover = [
    message('ha', 'wr', { type: 'ha.state', routerId: 'wr', host: 'h2', state: 'active', term: 1, seq: 2 }),
    message('ha', 'wr', { type: 'ha.state', routerId: 'wr', host: 'h1', state: 'standby', term: 1, seq: 2 }),
  ];
  return { setup, failover };
}
