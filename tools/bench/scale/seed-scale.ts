import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Network } from '../../../src/core/types.js';
import { type Seeded, seedNetwork } from '../../support/seed-network.js';

/** A fleet of `networks` networks of `hostsPerNetwork` agents and `portsPerNetwork` VM ports each. */
export interface ScaleSpec {
  readonly networks: number;
  readonly hostsPerNetwork: number;
  readonly portsPerNetwork: number;
  /** Networks per group of agents: every agent is in this many networks. */
  readonly networksPerAgent: number;
}

export interface ScaleSeed {
  readonly spec: ScaleSpec;
  readonly agents: number;
  readonly ports: number;
  /** Items written (agent items are written once per network the agent is in). */
  readonly items: number;
  readonly seconds: number;
  /** The network the events run on, as seeded. */
  readonly target: Seeded;
}

export const networkOf = (i: number): Network => ({
  id: `n${i}`,
  name: `n${i}`,
  networkType: 'vxlan',
  segmentId: 10_000 + i,
});

/**
 * Seeds the fleet straight into the table with the bench's own seeding (`seedNetwork`: the
 * adapter's item builders, BatchWriteItem), `concurrency` networks at a time. Network i uses the
 * agents of group i mod groups (`g<group>-h0..`), so each agent is in `networksPerAgent` networks
 * and there are networks / networksPerAgent × hostsPerNetwork agents in all.
 */
export async function seedScale(
  client: DynamoDBDocumentClient,
  tableName: string,
  spec: ScaleSpec,
  o: { concurrency: number; target: number; log: (s: string) => void },
): Promise<ScaleSeed> {
  const groups = Math.max(1, Math.floor(spec.networks / spec.networksPerAgent));
  let items = 0;
  let next = 0;
  let target: Seeded | undefined;
  const t0 = Date.now();
  let lastLog = t0;
  const worker = async () => {
    while (next < spec.networks) {
      const i = next++;
      const seeded = await seedNetwork(client, tableName, {
        network: networkOf(i),
        hosts: spec.hostsPerNetwork,
        ports: spec.portsPerNetwork,
        hostPrefix: `g${i % groups}-h`,
      });
      items += seeded.items;
      if (i === o.target) target = seeded;
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        const s = (lastLog - t0) / 1000;
        o.log(
          `  seeding: ${i + 1}/${spec.networks} networks, ${items} items, ${Math.round(items / s)} items/s`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  if (!target) throw new Error(`target network ${o.target} is not in the ${spec.networks} seeded`);
  return {
    spec,
    agents: groups * spec.hostsPerNetwork,
    ports: spec.networks * spec.portsPerNetwork,
    items,
    seconds: (Date.now() - t0) / 1000,
    target,
  };
}
