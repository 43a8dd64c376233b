import type { Commit, NetworkState, OutboxRecord } from '../../src/app/ports.js';
import { EMPTY_COMMIT } from '../../src/app/reconcile.js';
import type { Agent, HaRouter, Network, Port } from '../../src/core/types.js';

export const NETWORK: Network = { id: 'net-1', name: 'net-1', networkType: 'vxlan', segmentId: 1001 };

export function aPort(over: Partial<Port> = {}): Port {
  return {
    id: 'p1',
    networkId: NETWORK.id,
    mac: 'fa:16:3e:00:00:01',
    ips: ['10.0.0.11'],
    deviceOwner: 'compute:nova',
    deviceId: 'vm-1',
    host: 'h1',
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
    ...over,
  };
}

export function anAgent(over: Partial<Agent> = {}): Agent {
  return {
    host: 'h1',
    tunnelIp: '192.0.2.1',
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: true, arp: 'responder' },
    bootId: 'boot-1',
    revision: 1,
    ...over,
  };
}

export function aRouter(over: Partial<HaRouter> = {}): HaRouter {
  return { id: 'r1', hosts: ['h1', 'h2'], states: {}, revision: 1, version: 1, ...over };
}

export function aState(over: Partial<NetworkState> = {}): NetworkState {
  return {
    network: NETWORK,
    version: 1,
    index: { counts: {}, members: {} },
    strategies: {},
    routers: {},
    seq: 1,
    ...over,
  };
}

export function anOutbox(over: Partial<OutboxRecord> = {}): OutboxRecord {
  return {
    networkId: NETWORK.id,
    version: 1,
    key: '000000000001',
    commands: [{ host: 'h1', command: { v: 1, kind: 'leave', networkId: NETWORK.id, version: 1 } }],
    ...over,
  };
}

export const EMPTY: Commit = EMPTY_COMMIT;

export function commitOf(over: Partial<Commit>): Commit {
  return { ...EMPTY, ...over };
}
