import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type Item,
  toAgentItem,
  toHostsItem,
  toPortItem,
  toRouterPortItem,
  toStateItem,
} from '../../src/adapters/aws/dynamo-items.js';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import type { NetworkState } from '../../src/app/ports.js';
import { computeContributions, computeIndex } from '../../src/core/desired.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import type { Agent, Network, Port } from '../../src/core/types.js';

export interface SeedSpec {
  readonly network: Network;
  readonly hosts: number;
  readonly ports: number;
  /** Host name prefix, so several seeded networks can share hosts or not. */
  readonly hostPrefix?: string;
}

export interface Seeded {
  readonly network: Network;
  readonly agents: Agent[];
  readonly ports: Port[];
  readonly state: NetworkState;
  readonly items: number;
}

const hex = (n: number, bytes: number) =>
  Array.from({ length: bytes }, (_, i) =>
    ((n >> (8 * (bytes - 1 - i))) & 255).toString(16).padStart(2, '0'),
  ).join(':');

/** A network of `hosts` agents and `ports` VM ports spread over them, as the core would index it. */
export function buildNetwork(spec: SeedSpec): Omit<Seeded, 'items'> {
  const prefix = spec.hostPrefix ?? `${spec.network.id}-h`;
  const agents: Agent[] = Array.from({ length: spec.hosts }, (_, i) => ({
    host: `${prefix}${i}`,
    tunnelIp: `172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}`,
    agentType: 'Open vSwitch agent',
    networkTypes: [spec.network.networkType],
    capabilities: { learning: true, arp: 'responder' },
    bootId: 'boot-1',
    revision: 1,
  }));
  const seg = spec.network.segmentId;
  const ports: Port[] = Array.from({ length: spec.ports }, (_, i) => ({
    id: `${spec.network.id}-p${i}`,
    networkId: spec.network.id,
    mac: `fa:16:${hex(seg & 255, 1)}:${hex(i, 3)}`,
    ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    deviceOwner: 'compute:nova',
    deviceId: `vm-${i}`,
    host: (agents[i % spec.hosts] as Agent).host,
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
  }));
  const facts = {
    network: spec.network,
    agents: new Map(agents.map((a) => [a.host, a])),
    ports,
    routers: new Map(),
    flags: DEFAULT_FLAGS,
  };
  // The index only: materialising every view would be O(hosts x ports).
  const index = computeIndex(facts, computeContributions(facts));
  const state: NetworkState = {
    network: spec.network,
    version: 1,
    index,
    strategies: {},
    routers: {},
    // as a network the controller creates now: with the drift audit's table of shared entries
    vipKeys: {},
    seq: 1,
  };
  return { network: spec.network, agents, ports, state };
}

async function batchWrite(client: DynamoDBDocumentClient, tableName: string, items: Item[], parallel = 8) {
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let request = (chunks[next++] as Item[]).map((Item) => ({ PutRequest: { Item } }));
      while (request.length > 0) {
        const res = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: request } }));
        request = (res.UnprocessedItems?.[tableName] ?? []) as typeof request;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/**
 * Writes a big network straight into the table with BatchWriteItem, item for item what the
 * adapter's transactions would have written: the bench and the cost tests start from it.
 */
export async function seedNetwork(
  client: DynamoDBDocumentClient,
  tableName: string,
  spec: SeedSpec,
): Promise<Seeded> {
  const built = buildNetwork(spec);
  const id = spec.network.id;
  // outboxSeq 0: no outbox record was ever written, so none is pending (docs/data-model.md).
  // hostsSeq: the HOSTS item beside it is this state's (a torn read is told by it, isTornRead).
  const stateItem = toStateItem(built.state);
  const items: Item[] = [{ ...stateItem, outboxSeq: 0, hostsSeq: stateItem.seq }, toHostsItem(built.state)];
  for (const a of built.agents) items.push(toAgentItem(a));
  for (const [h, count] of Object.entries(built.state.index.counts))
    items.push({ ...KEYS.presence(h, id), networkId: id, count });
  for (const p of built.ports) {
    items.push(
      toPortItem(p, null),
      { ...KEYS.portPointer(p.id), networkId: id },
      { ...KEYS.mac(id, p.mac), owner: p.id },
    );
    if (p.deviceOwner.startsWith('network:')) items.push(toRouterPortItem(p));
  }
  await batchWrite(client, tableName, items);
  return { ...built, items: items.length };
}
