import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import { onPortChanges } from '../../src/app/on-port-changes.js';
import type { FactStore } from '../../src/app/ports.js';
import { parsePortEvent, toNetwork, toPort } from '../../src/contracts/parse.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * `aap_overlaps_fixed_ip` on the store the controller runs on: the `held:` owner items and the
 * pair-holder items (src/app/aap-index.ts) are written, updated for several ports in one
 * transaction, emptied, and read back by the next event, on DynamoDB Local as on the fake.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('aapx');
});
afterAll(() => stack?.destroy());

const factories: [string, () => FactStore][] = [
  ['memory', () => createMemoryStore()],
  ['dynamodb', () => createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName })],
];

describe.each(factories)('the overlap rule on the %s store', (name, make) => {
  it('refuses in both directions, lets the reservation pattern through, and forgets removed pairs', async () => {
    const store = make();
    const deps = { store, publisher: { publish: async () => {} } };
    const networkId = `net-aapx-${name}`;
    const event = (id: string, ip: string, host: string, pairs: string[], revision: number) =>
      parsePortEvent(
        JSON.stringify({
          type: 'port.upsert',
          v: 1,
          network: { id: networkId, networkType: 'vxlan', segmentId: 7002 },
          port: {
            id,
            networkId,
            mac: `fa:16:3e:00:01:0${id.slice(1)}`,
            ips: [ip],
            deviceOwner: 'compute:nova',
            deviceId: `i-${id}`,
            host,
            status: 'ACTIVE',
            revision,
            allowedAddressPairs: pairs.map((ipAddress) => ({ ipAddress })),
          },
        }),
      );
    const one = async (e: ReturnType<typeof event>) => {
      try {
        return (await dispatchEvent(deps, e)).outcome;
      } catch (err) {
        if (isInvalidInputError(err)) return err.code;
        throw err;
      }
    };
    const coalesced = (e: ReturnType<typeof event>) => {
      if (e.type !== 'port.upsert') throw new Error('upsert');
      return { network: toNetwork(e.network), next: toPort(e) };
    };
    // p1 reserves 10.1.0.1 unbound; p2 and p3 take it as a pair in one coalesced commit.
    expect(await one(event('p1', '10.1.0.1', '', [], 1))).toBe('applied');
    const out = await onPortChanges(deps, networkId, [
      coalesced(event('p2', '10.1.0.2', 'h1', ['10.1.0.1'], 1)),
      coalesced(event('p3', '10.1.0.3', 'h2', ['10.1.0.1'], 1)),
    ]);
    expect(out.map((o) => o.kind)).toEqual(['result', 'result']);
    // Binding p1 now conflicts with both holders; a pair on p2's bound address is refused too.
    expect(await one(event('p1', '10.1.0.1', 'h3', [], 2))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('p4', '10.1.0.4', 'h3', ['10.1.0.2'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await store.getPort('p4', networkId)).toBeUndefined();
    // p2 drops the pair (an update), p3 is deleted: the holders are gone and p1 may bind.
    expect(await one(event('p2', '10.1.0.2', 'h1', [], 2))).toBe('applied');
    expect(await one(event('p1', '10.1.0.1', 'h3', [], 2))).toBe('aap_overlaps_fixed_ip');
    await dispatchEvent(
      deps,
      parsePortEvent(JSON.stringify({ type: 'port.delete', v: 1, portId: 'p3', networkId, revision: 2 })),
    );
    expect(await one(event('p1', '10.1.0.1', 'h3', [], 2))).toBe('applied');
    // p2 unbinds: its address is free to be a pair again.
    expect(await one(event('p4', '10.1.0.4', 'h3', ['10.1.0.2'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('p2', '10.1.0.2', '', [], 3))).toBe('applied');
    expect(await one(event('p4', '10.1.0.4', 'h3', ['10.1.0.2'], 1))).toBe('applied');
  });
});
