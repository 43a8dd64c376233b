import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoFactStore } from '../../src/adapters/aws/dynamo-fact-store.js';
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { FactStore } from '../../src/app/ports.js';
import { parsePortEvent } from '../../src/contracts/parse.js';
import { createTestStack, type TestStack } from '../support/test-stack.js';

/**
 * Allowed-address pairs travel with the port fact: a port.upsert parsed from its body is recorded
 * with its pairs (MACs defaulted) and read back whole, by the fake and by DynamoDB Local alike.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack('aap');
});
afterAll(() => stack?.destroy());

const factories: [string, () => FactStore][] = [
  ['memory', () => createMemoryStore()],
  ['dynamodb', () => createDynamoFactStore({ client: stack.clients.doc, tableName: stack.tableName })],
];

describe.each(factories)('allowed-address pairs in the store: %s', (name, make) => {
  it('records a port with its pairs and a port without them as before', async () => {
    const store = make();
    const deps = { store, publisher: { publish: async () => {} } };
    const networkId = `net-aap-${name}`;
    const body = (id: string, mac: string, pairs?: unknown) =>
      JSON.stringify({
        type: 'port.upsert',
        v: 1,
        network: { id: networkId, networkType: 'vxlan', segmentId: 7001 },
        port: {
          id,
          networkId,
          mac,
          ips: [],
          deviceOwner: 'compute:nova',
          deviceId: `i-${id}`,
          host: 'compute-1',
          status: 'DOWN',
          revision: 1,
          ...(pairs === undefined ? {} : { allowedAddressPairs: pairs }),
        },
      });
    await dispatchEvent(
      deps,
      parsePortEvent(
        body('vm-1', 'fa:16:3e:00:00:01', [
          { ipAddress: '10.0.0.100' },
          { ipAddress: '2001:db8::5/64', macAddress: '00:00:5E:00:02:07' },
        ]),
      ),
    );
    await dispatchEvent(deps, parsePortEvent(body('vm-2', 'fa:16:3e:00:00:02')));
    expect(await store.getPort('vm-1', networkId)).toMatchObject({
      allowedAddressPairs: [
        { ipAddress: '10.0.0.100', macAddress: 'fa:16:3e:00:00:01' },
        { ipAddress: '2001:db8::/64', macAddress: '00:00:5e:00:02:07' },
      ],
    });
    expect(await store.getPort('vm-2', networkId)).not.toHaveProperty('allowedAddressPairs');
  });
});
