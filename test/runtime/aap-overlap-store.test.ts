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
 * by a Query) by the next event, on DynamoDB Local as on the fake. Every port is recorded; the
 * overlaps an event brings are the ones it reports (deviation D18, docs/vip.md).
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
  /** The event's outcome and the overlaps it reports, `pair>ip` each (or its refusal code). */
  const one = async (e: ReturnType<typeof event>) => {
    try {
      const r = await dispatchEvent(deps, e);
      return [r.outcome, ...(r.overlaps ?? []).map((o) => `${o.pair}>${o.ip}`)].join(' ');
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

describe.each(factories)('the overlap indexes on the %s store', (name, make) => {
  it('reports in both directions, lets the reservation pattern through, and forgets removed pairs', async () => {
    const store = make();
    const networkId = `net-aapx-${name}`;
    const { deps, event, one, coalesced } = harness(store, networkId, 7002, '01');
    // p1 reserves 10.1.0.1 unbound; p2 and p3 take it as a pair in one coalesced commit.
    expect(await one(event('p1', '10.1.0.1', '', [], 1))).toBe('applied');
    const out = await onPortChanges(deps, networkId, [
      coalesced(event('p2', '10.1.0.2', 'h1', ['10.1.0.1'], 1)),
      coalesced(event('p3', '10.1.0.3', 'h2', ['10.1.0.1'], 1)),
    ]);
    expect(out.map((o) => (o.kind === 'result' ? (o.result.overlaps ?? []).length : o.kind))).toEqual([0, 0]);
    // Binding p1 now overlaps both holders; a pair on p2's bound address too: recorded, reported.
    expect(await one(event('p1', '10.1.0.1', 'h3', [], 2))).toBe(
      'applied 10.1.0.1>10.1.0.1 10.1.0.1>10.1.0.1',
    );
    expect(await one(event('p4', '10.1.0.4', 'h3', ['10.1.0.2'], 1))).toBe('applied 10.1.0.2>10.1.0.2');
    expect(await store.getPort('p4', networkId)).toMatchObject({ host: 'h3' });
    // p2 drops the pair (an update), p3 is deleted: p1's next event finds no holder left.
    // (p4's pair over p2's address stands: reported by p4's event, not again by p2's)
    expect(await one(event('p2', '10.1.0.2', 'h1', [], 2))).toBe('applied');
    await dispatchEvent(
      deps,
      parsePortEvent(JSON.stringify({ type: 'port.delete', v: 1, portId: 'p3', networkId, revision: 2 })),
    );
    expect(await one(event('p1', '10.1.0.1', 'h3', [], 3))).toBe('applied');
    // p2 unbinds: its address is no longer held; binding again brings the overlap back, reported.
    expect(await one(event('p4', '10.1.0.4', 'h3', ['10.1.0.2'], 2))).toBe('applied');
    expect(await one(event('p2', '10.1.0.2', '', [], 3))).toBe('applied');
    expect(await one(event('p4', '10.1.0.4', 'h3', ['10.1.0.2'], 3))).toBe('applied');
    expect(await one(event('p2', '10.1.0.2', 'h1', [], 4))).toBe('applied 10.1.0.2>10.1.0.2');
  });

  it('reports prefix pairs over bound ports and bound ports inside prefix pairs, IPv4 and IPv6', async () => {
    const store = make();
    const networkId = `net-aapp-${name}`;
    const { deps, event, one, coalesced } = harness(store, networkId, 7003, '02');
    // q1 bound on 10.2.0.1 and fd00:2::1; q2 unbound inside the prefixes below
    expect(await one(event('q1', ['10.2.0.1', 'fd00:2::1'], 'h1', [], 1))).toBe('applied');
    expect(await one(event('q2', ['10.2.0.2'], '', [], 1))).toBe('applied');
    // the new pair covers a held IP (one range read each): IPv4 and IPv6, the widest prefixes too
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['10.2.0.0/30'], 1))).toBe(
      'applied 10.2.0.0/30>10.2.0.1',
    );
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['fd00:2::/64'], 2))).toBe(
      'applied fd00:2::/64>fd00:2::1',
    );
    expect(await one(event('q3', ['10.2.1.3'], 'h2', ['::/0', '0.0.0.0/0'], 3))).toBe(
      'applied ::/0>fd00:2::1 0.0.0.0/0>10.2.0.1',
    );
    // a prefix over q2 (unbound) and q3's own address is none
    expect(await one(event('q3', ['10.2.0.3'], 'h2', ['10.2.0.2/31', 'fd00:3::/64'], 4))).toBe('applied');
    // a held IP inside another port's prefix: q2 binds, q4 arrives in fd00:3::/64
    expect(await one(event('q2', ['10.2.0.2'], 'h3', [], 2))).toBe('applied 10.2.0.2/31>10.2.0.2');
    expect(await one(event('q4', ['10.2.0.4', 'fd00:3::4'], 'h3', [], 1))).toBe(
      'applied fd00:3::/64>fd00:3::4',
    );
    // in one coalesced commit: q3 drops its prefixes; q5's prefix then covers q4's IPv6 address
    const out = await onPortChanges(deps, networkId, [
      coalesced(event('q3', ['10.2.0.3'], 'h2', [], 5)),
      coalesced(event('q5', ['10.2.0.5'], 'h1', ['fd00:3::/120'], 1)),
    ]);
    expect(
      out.map((o) =>
        o.kind === 'result' ? (o.result.overlaps ?? []).map((x) => `${x.pair}>${x.ip}`) : o.kind,
      ),
    ).toEqual([[], ['fd00:3::/120>fd00:3::4']]);
    // the next events read what that commit wrote: q5's prefix in the list, q4's held range
    expect(await one(event('q6', ['fd00:3::6'], 'h2', [], 1))).toBe('applied fd00:3::/120>fd00:3::6');
    expect(await one(event('q5', ['10.2.0.5'], 'h1', ['10.2.0.0/29'], 2))).toBe(
      'applied 10.2.0.0/29>10.2.0.1',
    );
    // q4 is deleted: its held range goes with it
    await dispatchEvent(
      deps,
      parsePortEvent(JSON.stringify({ type: 'port.delete', v: 1, portId: 'q4', networkId, revision: 2 })),
    );
    expect(await one(event('q7', ['10.2.1.7'], 'h2', ['fd00:3::4'], 1))).toBe('applied');
  });
});
