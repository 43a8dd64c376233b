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
 * `aap_overlaps_fixed_ip` on the store the controller runs on: the held-IP (`heldx:`) owner
 * items, the pair-holder items and the network's prefix-pair list (src/app/aap-index.ts) are
 * written, updated for several ports in one transaction, emptied, and read back (the held range
 * by a Query) by the next event, on DynamoDB Local as on the fake.
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

/** Port events of one network on `store`: an upsert, its outcome (or refusal code), its coalesced form. */
function harness(store: FactStore, networkId: string, segmentId: number, macBlock: string) {
  const deps = { store, publisher: { publish: async () => {} } };
  const event = (id: string, ip: string | string[], host: string, pairs: string[], revision: number) =>
    parsePortEvent(
      JSON.stringify({
        type: 'port.upsert',
        v: 1,
        network: { id: networkId, networkType: 'vxlan', segmentId },
        port: {
          id,
          networkId,
          mac: `fa:16:3e:00:${macBlock}:0${id.slice(1)}`,
          ips: typeof ip === 'string' ? [ip] : ip,
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
  return { deps, event, one, coalesced };
}

describe.each(factories)('the overlap rule on the %s store', (name, make) => {
  it('refuses in both directions, lets the reservation pattern through, and forgets removed pairs', async () => {
    const store = make();
    const networkId = `net-aapx-${name}`;
    const { deps, event, one, coalesced } = harness(store, networkId, 7002, '01');
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

  it('refuses prefix pairs over bound ports and bound ports inside prefix pairs, IPv4 and IPv6', async () => {
    const store = make();
    const networkId = `net-aapp-${name}`;
    const { deps, event, one, coalesced } = harness(store, networkId, 7003, '02');
    // q1 bound on 10.2.0.1 and fd00:2::1; q2 unbound inside the prefixes below
    expect(await one(event('q1', ['10.2.0.1', 'fd00:2::1'], 'h1', [], 1))).toBe('applied');
    expect(await one(event('q2', ['10.2.0.2'], '', [], 1))).toBe('applied');
    // direction 2 (the new pair covers a held IP): IPv4 and IPv6, the widest prefixes too
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['10.2.0.0/30'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['fd00:2::/64'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['::/0'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['0.0.0.0/0'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await store.getPort('q3', networkId)).toBeUndefined();
    // a prefix over q2 (unbound) and q3's own address passes; the list and the held range are written
    expect(await one(event('q3', ['10.2.0.3'], 'h2', ['10.2.0.2/31', 'fd00:3::/64'], 1))).toBe('applied');
    // direction 1 (a held IP inside another port's prefix): q2 binds, q4 arrives in fd00:3::/64
    expect(await one(event('q2', ['10.2.0.2'], 'h3', [], 2))).toBe('aap_overlaps_fixed_ip');
    expect((await store.getPort('q2', networkId))?.revision).toBe(1);
    expect(await one(event('q4', ['10.2.0.4', 'fd00:3::4'], 'h3', [], 1))).toBe('aap_overlaps_fixed_ip');
    // widening q3's prefix over q1 is refused; q1 taking an address inside q3's prefix is refused
    expect(await one(event('q3', ['10.2.0.3'], 'h2', ['10.2.0.0/30', 'fd00:3::/64'], 2))).toBe(
      'aap_overlaps_fixed_ip',
    );
    expect(await one(event('q1', ['10.2.0.1', 'fd00:2::1', 'fd00:3::1'], 'h1', [], 2))).toBe(
      'aap_overlaps_fixed_ip',
    );
    // in one coalesced commit: q3 drops its prefixes, so q2 may bind and q4 arrive; q5's prefix
    // then covers q4's IPv6 address and is refused alone
    const out = await onPortChanges(deps, networkId, [
      coalesced(event('q3', ['10.2.0.3'], 'h2', [], 2)),
      coalesced(event('q2', ['10.2.0.2'], 'h3', [], 2)),
      coalesced(event('q4', ['10.2.0.4', 'fd00:3::4'], 'h3', [], 1)),
      coalesced(event('q5', ['10.2.0.5'], 'h1', ['fd00:3::/120'], 1)),
    ]);
    expect(out.map((o) => (o.kind === 'rejected' ? o.error.code : o.result.outcome))).toEqual([
      'applied',
      'applied',
      'applied',
      'aap_overlaps_fixed_ip',
    ]);
    // the next event reads what that commit wrote: q4's held range and the emptied prefix list
    expect(await one(event('q5', ['10.2.0.5'], 'h1', ['fd00:3::/120'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('q5', ['10.2.0.5'], 'h1', ['10.2.0.0/29'], 1))).toBe('aap_overlaps_fixed_ip');
    expect(await one(event('q5', ['10.2.0.5'], 'h1', ['10.2.0.8/29'], 1))).toBe('applied');
    expect(await one(event('q6', ['10.2.0.9'], 'h2', [], 1))).toBe('aap_overlaps_fixed_ip');
    // q4 is deleted: its held range goes with it, and the prefix may cover its old addresses
    await dispatchEvent(
      deps,
      parsePortEvent(JSON.stringify({ type: 'port.delete', v: 1, portId: 'q4', networkId, revision: 2 })),
    );
    expect(await one(event('q6', ['10.2.0.6'], 'h2', ['fd00:3::/64'], 1))).toBe('applied');
  });
});
