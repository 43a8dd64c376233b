import { describe, expect, it } from 'vitest';
import { createRejectedStore } from '../../src/adapters/aws/dynamo-rejected-store.js';
import type { FaultInjectedError } from '../../tools/local/faults.js';
import { wideRouterWorkload } from '../support/ha-workload.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';

/**
 * An HA change is not one transaction over the router's networks (DynamoDB: 100 items, about four
 * per network): the router fact is recorded alone, then each network is moved in a transaction
 * of its own (docs/crash-safety.md, "HA changes"). A router with interfaces in 40 networks fails
 * over through the bundled functions, on DynamoDB Local and fauxqs.
 */
const NETWORKS = 40;

async function rejected(h: Harness) {
  return createRejectedStore({ client: h.stack.clients.doc, tableName: h.stack.tableName }).list();
}

const crashes = (h: Harness) =>
  h.invocations
    .filter((i) => i.fn === 'ha-events')
    .map((i) => i.outcome.error)
    .filter((e): e is FaultInjectedError => (e as Error | undefined)?.name === 'FaultInjectedError');

describe(`a failover of an HA router with interfaces in ${NETWORKS} networks`, () => {
  it('moves every network to the new master and every agent converges, with nothing rejected', async () => {
    const h = await startHarness({ label: 'ha-wide' });
    try {
      const { setup, failover } = wideRouterWorkload(NETWORKS);
      await h.send(setup);
      await h.converge(setup);
      await h.send(failover);
      await h.converge([...setup, ...failover]);
      expect(h.diff([...setup, ...failover])).toEqual([]);
      expect(await rejected(h)).toEqual([]);
      expect(h.invocations.filter((i) => i.outcome.error !== undefined)).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  it('converges after the invocation dies between two networks commits and SQS redelivers it', async () => {
    const h = await startHarness({ label: 'ha-wide-crash' });
    try {
      const { setup, failover } = wideRouterWorkload(NETWORKS);
      await h.send(setup);
      await h.converge(setup);
      // A new cold start whose fault injector kills the failover's first delivery between two
      // network commits: some networks moved and published, the others still on the old master.
      await h.restart({ L2POP_FAULTS: 'between-networks=0.1', L2POP_FAULT_SEED: '7' });
      await h.send(failover);
      await h.converge([...setup, ...failover]);
      expect(h.diff([...setup, ...failover])).toEqual([]);
      const died = crashes(h);
      expect(died.map((e) => e.point)).toEqual(['between-networks']);
      const committed = (died[0] as FaultInjectedError).networksCommitted;
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(NETWORKS);
      expect(await rejected(h)).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});
