import { agentReportBody, type Body, flagsSetBody, type NetworkRef, vmPortBody } from './inbound-bodies.js';

/**
 * The bodies that open a VIP test's world: the default strategy, then an Open vSwitch agent
 * without learning on each host of `tunnels` (host to tunnel IP), in that order.
 */
export const vipWorldSetup = (strategy: string, tunnels: Record<string, string>): Body[] => [
  flagsSetBody(strategy),
  ...Object.entries(tunnels).map(([host, tunnelIp]) => agentReportBody(host, tunnelIp, 'ovs-no-learning')),
];

/**
 * The three-port world of the in-memory VIP tests: hosts h1 to h3; `pa` on h1 carries the VIP
 * with the virtual MAC as a pair (the owner), `pb` on h2 carries it through the prefix pair
 * 10.0.0.96/28, `pc` on h3 is an observer without pairs.
 */
export const VIP_WORLD = {
  vip: '10.0.0.100',
  vmac: '00:00:5e:00:01:07',
  tunnels: { h1: '192.0.2.1', h2: '192.0.2.2', h3: '192.0.2.3' } as Record<string, string>,
  macs: { pa: 'fa:16:3e:00:00:0a', pb: 'fa:16:3e:00:00:0b', pc: 'fa:16:3e:00:00:0c' } as Record<
    string,
    string
  >,
  ips: { pa: '10.0.0.11', pb: '10.0.0.12', pc: '10.0.0.13' } as Record<string, string>,
  hosts: { pa: 'h1', pb: 'h2', pc: 'h3' } as Record<string, string>,
};

/** The `port.upsert`s of `pa`, `pb` and `pc` (revision 1) in `network`, in that order. */
export const vipWorldPorts = (network: NetworkRef): Body[] =>
  (
    [
      ['pa', [{ ipAddress: VIP_WORLD.vip, macAddress: VIP_WORLD.vmac }]],
      ['pb', [{ ipAddress: '10.0.0.96/28' }]],
      ['pc', []],
    ] as const
  ).map(([id, pairs]) =>
    vmPortBody(network, {
      id,
      mac: VIP_WORLD.macs[id] as string,
      ips: [VIP_WORLD.ips[id] as string],
      host: VIP_WORLD.hosts[id] as string,
      revision: 1,
      allowedAddressPairs: pairs,
    }),
  );
