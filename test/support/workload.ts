import type { InboundEvent } from '../../src/contracts/events.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { seededRandom } from '../../tools/local/faults.js';

export type InboundQueue = 'port' | 'ha' | 'agent';

export interface WorkloadMessage {
  readonly queue: InboundQueue;
  readonly group: string;
  readonly body: string;
  /** The parsed event (valid messages), or null for a malformed one. */
  readonly event: InboundEvent | null;
}

/** mulberry32, for repeatable workloads: the generator the fault injection uses. */
export { seededRandom };

const HA_OWNER = 'network:ha_router_replicated_interface';

export interface WorkloadOptions {
  readonly seed: number;
  readonly networks?: number;
  readonly hosts?: number;
  readonly ports?: number;
  readonly mutations?: number;
}

/**
 * A valid, repeatable history: agents (Open vSwitch style and kernel-ARP-proxy style), VM ports
 * over several networks, an HA router with interfaces in two networks, then random port moves,
 * IP and status changes, deletes, failovers, tunnel-IP changes, agent restarts and flag flips.
 */
export function generateWorkload(o: WorkloadOptions): WorkloadMessage[] {
  const rnd = seededRandom(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const nNets = o.networks ?? 3;
  const hosts = Array.from({ length: o.hosts ?? 6 }, (_, i) => `h${i + 1}`);
  const nets = Array.from({ length: nNets }, (_, i) => ({
    id: `n${i + 1}`,
    networkType: 'vxlan',
    segmentId: 101 + i,
  }));
  const out: WorkloadMessage[] = [];
  const emit = (queue: InboundQueue, group: string, e: Record<string, unknown>) => {
    const body = JSON.stringify({ v: 1, ...e });
    out.push({ queue, group, body, event: parseInboundEvent(body) });
  };
  const agentRev = new Map<string, number>();
  const report = (host: string, i: number, boot: string, tunnelSuffix = 0) => {
    const rev = (agentRev.get(host) ?? 0) + 1;
    agentRev.set(host, rev);
    const kernel = i >= hosts.length - 2;
    emit('agent', host, {
      type: 'agent.report',
      host,
      tunnelIp: `192.0.2.${i + 1 + tunnelSuffix * 50}`,
      agentType: kernel ? 'Linux bridge agent' : 'Open vSwitch agent',
      networkTypes: ['vxlan'],
      capabilities: kernel ? { learning: false, arp: 'proxy' } : { learning: true, arp: 'responder' },
      bootId: boot,
      revision: rev,
    });
  };
  for (const [i, h] of hosts.entries()) report(h, i, `${h}-boot-1`);

  type P = {
    id: string;
    net: (typeof nets)[number];
    n: number;
    host: string;
    ips: string[];
    status: string;
    owner: string;
    device: string;
    rev: number;
    live: boolean;
  };
  const ports: P[] = [];
  const upsert = (p: P) =>
    emit('port', p.net.id, {
      type: 'port.upsert',
      network: p.net,
      port: {
        id: p.id,
        networkId: p.net.id,
        mac: `fa:16:3e:00:${p.net.segmentId.toString(16).padStart(2, '0')}:${p.n.toString(16).padStart(2, '0')}`,
        ips: p.ips,
        deviceOwner: p.owner,
        deviceId: p.device,
        host: p.host,
        status: p.status,
        dvrHosts: [],
        revision: p.rev,
      },
    });
  const newPort = (owner = 'compute:nova', device?: string, net = pick(nets), host = pick(hosts)) => {
    const n = ports.filter((p) => p.net === net).length + 1;
    const p: P = {
      id: `${net.id}-p${n}`,
      net,
      n,
      host,
      ips: [`10.${net.segmentId % 256}.0.${n}`],
      status: 'ACTIVE',
      owner,
      device: device ?? `vm-${net.id}-${n}`,
      rev: 1,
      live: true,
    };
    ports.push(p);
    upsert(p);
  };
  for (let i = 0; i < (o.ports ?? 24); i++) newPort();
  const routerHosts = [hosts[0], hosts[1], hosts[hosts.length - 1]] as string[];
  emit('ha', 'r1', { type: 'ha.schedule', routerId: 'r1', hosts: routerHosts, revision: 1 });
  for (const net of nets.slice(0, 2)) newPort(HA_OWNER, 'r1', net, routerHosts[0]);
  let haSeq = 0;
  let master = routerHosts[0] as string;
  const failover = () => {
    const next = pick(routerHosts.filter((h) => h !== master));
    haSeq++;
    emit('ha', 'r1', { type: 'ha.state', routerId: 'r1', host: next, state: 'active', term: 1, seq: haSeq });
    emit('ha', 'r1', {
      type: 'ha.state',
      routerId: 'r1',
      host: master,
      state: 'standby',
      term: 1,
      seq: haSeq,
    });
    master = next;
  };
  failover();
  let flagsRev = 0;
  const strategies = ['tunnel', 'master-binding', 'auto'] as const;
  for (let m = 0; m < (o.mutations ?? 40); m++) {
    const r = rnd();
    const live = ports.filter((p) => p.live && p.owner === 'compute:nova');
    const p = pick(live.length > 0 ? live : ports);
    if (r < 0.2) {
      p.host = pick(hosts);
      p.rev++;
      upsert(p);
    } else if (r < 0.32) {
      p.ips = [`10.${p.net.segmentId % 256}.${1 + Math.floor(rnd() * 200)}.${p.n}`];
      p.rev++;
      upsert(p);
    } else if (r < 0.42) {
      p.status = p.status === 'ACTIVE' ? 'DOWN' : 'ACTIVE';
      p.rev++;
      upsert(p);
    } else if (r < 0.52 && p.live) {
      p.live = false;
      p.rev++;
      emit('port', p.net.id, { type: 'port.delete', portId: p.id, networkId: p.net.id, revision: p.rev });
    } else if (r < 0.62) newPort();
    else if (r < 0.74) failover();
    else if (r < 0.82) {
      const i = Math.floor(rnd() * hosts.length);
      report(hosts[i] as string, i, `${hosts[i]}-boot-1`, 1 + (m % 2));
    } else if (r < 0.9) {
      const i = Math.floor(rnd() * hosts.length);
      report(hosts[i] as string, i, `${hosts[i]}-boot-${m + 2}`);
    } else {
      flagsRev++;
      emit('ha', 'flags', {
        type: 'flags.set',
        flags: { defaultStrategy: strategies[flagsRev % 3], rollout: null, networks: {}, routers: {} },
        revision: flagsRev,
      });
    }
  }
  return out;
}
