import type { InboundEvent } from '../../src/contracts/events.js';
import { OWNER } from '../../src/core/owners.js';
import type { AgentCapabilities, Strategy } from '../../src/core/types.js';
import type { Phase, Scenario } from './scenario.js';

const OVS: AgentCapabilities = { learning: true, arp: 'responder' };
const KERNEL_PROXY: AgentCapabilities = { learning: false, arp: 'proxy' };
const KERNEL_FLOOD: AgentCapabilities = { learning: false, arp: 'off' };

/** The default cloud's hosts: Open vSwitch and kernel VXLAN agents, three network nodes. */
export const DEFAULT_AGENTS: readonly { host: string; tunnelIp: string; capabilities: AgentCapabilities }[] =
  [
    { host: 'compute1', tunnelIp: '198.51.100.11', capabilities: OVS },
    { host: 'compute2', tunnelIp: '198.51.100.12', capabilities: OVS },
    { host: 'compute3', tunnelIp: '198.51.100.13', capabilities: OVS },
    { host: 'compute4', tunnelIp: '198.51.100.14', capabilities: KERNEL_PROXY },
    { host: 'compute5', tunnelIp: '198.51.100.15', capabilities: KERNEL_PROXY },
    { host: 'compute6', tunnelIp: '198.51.100.16', capabilities: KERNEL_FLOOD },
    { host: 'net1', tunnelIp: '198.51.100.21', capabilities: OVS },
    { host: 'net2', tunnelIp: '198.51.100.22', capabilities: KERNEL_PROXY },
    { host: 'net3', tunnelIp: '198.51.100.23', capabilities: OVS },
  ];

const NETWORKS = [
  { id: 'net-a', name: 'net-a', networkType: 'vxlan', segmentId: 1001 },
  { id: 'net-b', name: 'net-b', networkType: 'vxlan', segmentId: 1002 },
  { id: 'net-c', name: 'net-c', networkType: 'vxlan', segmentId: 1003 },
] as const;

/** VMs: [port id, network index, host, last octet]. */
const VMS: readonly (readonly [string, number, string, number])[] = [
  ['vm-a1', 0, 'compute1', 11],
  ['vm-a2', 0, 'compute2', 12],
  ['vm-a4', 0, 'compute4', 14],
  ['vm-a5', 0, 'compute5', 15],
  ['vm-a6', 0, 'compute6', 16],
  ['vm-b2', 1, 'compute2', 12],
  ['vm-b3', 1, 'compute3', 13],
  ['vm-b5', 1, 'compute5', 15],
  ['vm-c1', 2, 'compute1', 11],
  ['vm-c5', 2, 'compute5', 15],
  ['vm-c6', 2, 'compute6', 16],
];

const hex = (n: number) => n.toString(16).padStart(2, '0');

function report(host: string, boot: number): InboundEvent {
  const a = DEFAULT_AGENTS.find((x) => x.host === host);
  if (!a) throw new Error(`no agent ${host}`);
  const kernel = a.capabilities.arp !== 'responder';
  return {
    type: 'agent.report',
    v: 1,
    host,
    tunnelIp: a.tunnelIp,
    agentType: kernel ? 'Linux bridge agent' : 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: a.capabilities,
    bootId: `${host}-boot-${boot}`,
    revision: boot,
  };
}

/** A port as the `port.upsert` event carries it. */
type PortSpec = Extract<InboundEvent, { type: 'port.upsert' }>['port'];

function upsert(port: PortSpec): InboundEvent {
  const network = NETWORKS.find((n) => n.id === port.networkId) ?? NETWORKS[0];
  return { type: 'port.upsert', v: 1, network: { ...network }, port };
}

const DOWN: Pick<PortSpec, 'status' | 'dvrHosts' | 'revision'> = {
  status: 'DOWN',
  dvrHosts: [],
  revision: 1,
};

function vm(id: string, net: number, host: string, octet: number): PortSpec {
  const networkId = NETWORKS[net]?.id ?? 'net-a';
  const mac = `fa:16:3e:${hex(net + 10)}:00:${hex(octet)}`;
  const ips = [`10.${net + 1}.0.${octet}`];
  return { id, networkId, mac, ips, host, deviceOwner: 'compute:nova', deviceId: `instance-${id}`, ...DOWN };
}

/** The keepalived pair of net-a: its VIP and VRRP virtual MAC, on vm-a2 (compute2, Open vSwitch) and vm-a4 (compute4, kernel ARP proxy). */
export const DEFAULT_VIP = { networkId: 'net-a', ip: '10.1.0.100', mac: '00:00:5e:00:01:0a' } as const;
/** Claim times: a fixed past instant, so a run never meets the future bound and stays reproducible. */
const CLAIM_AT = Date.UTC(2026, 0, 1);

function vipClaim(port: PortSpec, at: number): InboundEvent {
  return {
    type: 'vip.claim',
    v: 1,
    host: port.host,
    networkId: port.networkId,
    portId: port.id,
    ip: DEFAULT_VIP.ip,
    mac: DEFAULT_VIP.mac,
    kind: 'garp',
    at,
    seq: at - CLAIM_AT,
  };
}

/** Nova boots a VM: the port is bound (DOWN), then its agent reports the device up (ACTIVE). */
const boot = (p: PortSpec): InboundEvent[] => [
  upsert(p),
  upsert({ ...p, status: 'ACTIVE', revision: p.revision + 1 }),
];

/**
 * The default A/B scenario: 6 compute hosts and 3 network nodes with a mix of Open vSwitch
 * (learning, ARP responder) and kernel VXLAN agents (ARP proxy, or plain flooding), 3 networks and
 * two HA routers that pull `auto` two ways:
 * - `r1`, with interfaces in net-a and net-b, on net1 (Open vSwitch) and net2 (kernel ARP proxy,
 *   which eats the new master's GARPs): every agent needs the master-binding view of it;
 * - `r2`, with an interface in net-c, on net1 and net3 (both Open vSwitch): a learning agent can
 *   take the tunnel view and fail over without the controller, the others need master-binding.
 * Then boots, a migration, an IP change, an agent restart, r1's graceful failover to net2, the
 * loss of net2's node, its return, r2's graceful failover to net3, a keepalived VIP pair in net-a
 * (vm-a2 on compute2, vm-a4 on compute4 behind a kernel ARP proxy; virtual MAC) announced by
 * vm-a2 and taken over by vm-a4 (keepalived stopped on vm-a2), then back by vm-a2 when vm-a4's VM
 * is lost (the data plane times both, with vm-a1, vm-a5 behind an ARP proxy and vm-a6 pinging the
 * VIP), and a per-router flag flip.
 */
export function buildDefaultScenario(strategy: Strategy): Scenario {
  const flipTo: Strategy = strategy === 'master-binding' ? 'tunnel' : 'master-binding';
  const rif = (router: 'r1' | 'r2', net: number): PortSpec => ({
    id: `${router}-${NETWORKS[net]?.id}`,
    networkId: NETWORKS[net]?.id ?? 'net-a',
    mac: `fa:16:3e:${router === 'r1' ? 'ff' : 'fe'}:00:${hex(net + 1)}`,
    ips: [`10.${net + 1}.0.1`],
    host: 'net1',
    deviceOwner: OWNER.haInterface,
    deviceId: router,
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
  });
  const vms = new Map(VMS.map(([id, net, host, octet]) => [id, vm(id, net, host, octet)]));
  const get = (id: string) => vms.get(id) as PortSpec;
  const moved = { ...get('vm-a1'), host: 'compute3', revision: 3 };
  const renumbered = { ...get('vm-b2'), ips: ['10.2.0.22'], status: 'ACTIVE' as const, revision: 3 };
  const withVip = (id: string): PortSpec => ({
    ...get(id),
    status: 'ACTIVE',
    revision: 3,
    allowedAddressPairs: [{ ipAddress: DEFAULT_VIP.ip, macAddress: DEFAULT_VIP.mac }],
  });
  const [vipA, vipB] = [withVip('vm-a2'), withVip('vm-a4')];
  const phases: Phase[] = [
    { name: 'agents start', events: DEFAULT_AGENTS.map((a) => report(a.host, 1)) },
    {
      name: 'HA router',
      events: [
        { type: 'ha.schedule', v: 1, routerId: 'r1', hosts: ['net1', 'net2'], revision: 1 },
        { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'active', term: 0, seq: 1 },
        { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'standby', term: 0, seq: 2 },
        upsert(rif('r1', 0)),
        upsert(rif('r1', 1)),
        { type: 'ha.schedule', v: 1, routerId: 'r2', hosts: ['net1', 'net3'], revision: 1 },
        { type: 'ha.state', v: 1, routerId: 'r2', host: 'net1', state: 'active', term: 0, seq: 1 },
        { type: 'ha.state', v: 1, routerId: 'r2', host: 'net3', state: 'standby', term: 0, seq: 2 },
        upsert(rif('r2', 2)),
      ],
    },
    { name: 'VM boots', events: [...vms.values()].flatMap(boot) },
    { name: 'migration', events: boot(moved) },
    { name: 'IP change', events: [upsert(renumbered)] },
    { name: 'agent restart', events: [report('compute2', 2)] },
    { name: 'r1 graceful failover', events: [], failover: failover('r1', 'net1', 'net2', 'graceful') },
    { name: 'r1 network-node loss', events: [], failover: failover('r1', 'net2', 'net1', 'node-loss') },
    {
      name: 'node back',
      events: [
        report('net2', 2),
        { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'standby', term: 0, seq: 10 },
      ],
    },
    { name: 'r2 graceful failover', events: [], failover: failover('r2', 'net1', 'net3', 'graceful') },
    // a keepalived VIP with a virtual MAC on vm-a2 and vm-a4: vm-a2 announces it, then vm-a4 takes over
    // (the claims travel on the agent events queue, the ports on the port events queue: a claim
    // sent with its port's pair could be processed first and refused, so they are phases apart)
    { name: 'VIP pair', events: [upsert(vipA), upsert(vipB)] },
    { name: 'VIP claim', events: [vipClaim(vipA, CLAIM_AT + 1000)] },
    {
      name: 'VIP failover',
      events: [vipClaim(vipB, CLAIM_AT + 2000)],
      vipFailover: { ...DEFAULT_VIP, from: 'compute2', to: 'compute4', mode: 'graceful' },
    },
    // vm-a4 dies (its host stays up): vm-a2 takes the VIP back after VRRP's master-down time
    {
      name: 'VIP VM loss',
      events: [vipClaim(vipA, CLAIM_AT + 3000)],
      vipFailover: { ...DEFAULT_VIP, from: 'compute4', to: 'compute2', mode: 'vm-loss' },
    },
    {
      name: 'flag flip',
      events: [
        {
          type: 'flags.set',
          v: 1,
          flags: { defaultStrategy: strategy, rollout: null, networks: {}, routers: { r1: flipTo } },
          revision: 1,
        },
      ],
    },
  ];
  return {
    description: `default cloud under ${strategy}; the flag flip moves r1 to ${flipTo}`,
    vrrp: { gracefulMs: 815, nodeLossMs: 3500, garpRepeatMs: 5000, advertMs: 1000 },
    phases,
  };
}

function failover(router: string, from: string, to: string, mode: 'graceful' | 'node-loss') {
  return { router, from, to, mode, reports: 'generate' as const };
}
