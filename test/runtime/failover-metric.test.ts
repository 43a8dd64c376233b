import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect, it } from 'vitest';
import { KEYS } from '../../src/adapters/aws/dynamo-keys.js';
import { captureOutput } from '../support/emf.js';
import { agentReport, message, portUpsert } from '../support/messages.js';
import { startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * `FailoverConvergenceMs` through the bundled functions on DynamoDB Local and fauxqs: an HA
 * failover opens one record per network it moves, and the `agent.applied` reports of the agents
 * it sent commands to close it, once, in any order and with duplicates.
 */
const NAMESPACE = 'L2Pop/failover-test';
const HA_OWNER = 'network:ha_router_replicated_interface';
const port = (id: string, host: string, n: number, owner?: string, device?: string) =>
  portUpsert({
    network: 'fn1',
    segmentId: 901,
    id,
    mac: `fa:16:3e:90:01:0${n}`,
    ip: `10.90.1.${n}`,
    host,
    ...(owner ? { owner } : {}),
    ...(device ? { device } : {}),
  });
const haState = (host: string, state: 'active' | 'standby', seq: number) =>
  message('ha', 'fr', { type: 'ha.state', routerId: 'fr', host, state, term: 1, seq });

const setup: WorkloadMessage[] = [
  agentReport('f1', '192.0.2.1'),
  agentReport('f2', '192.0.2.2'),
  agentReport('f3', '192.0.2.3'),
  message('ha', 'flags', {
    type: 'flags.set',
    flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
    revision: 1,
  }),
  message('ha', 'fr', { type: 'ha.schedule', routerId: 'fr', hosts: ['f1', 'f2'], revision: 1 }),
  haState('f1', 'active', 1),
  port('fif1', 'f1', 1, HA_OWNER, 'fr'),
  port('fif2', 'f2', 2, HA_OWNER, 'fr'),
  port('fvm', 'f3', 3),
];
const failover = [haState('f1', 'standby', 2), haState('f2', 'active', 3)];
const applied = (host: string, version: number, at: number) =>
  message('agent', host, {
    type: 'agent.applied',
    host,
    bootId: 'b1',
    networks: { fn1: version },
    at,
  });

it('emits one FailoverConvergenceMs per failover and network, at the last agent, under duplicates and reordering', async () => {
  const out = captureOutput();
  const h = await startHarness({
    label: 'failover-metric',
    env: {
      POWERTOOLS_METRICS_DISABLED: 'false',
      L2POP_METRICS_NAMESPACE: NAMESPACE,
      L2POP_LOG_LEVEL: 'INFO',
    },
  });
  try {
    await h.send(setup);
    await h.converge(setup);
    const valid = [...setup, ...failover];
    await h.send(failover);
    await h.converge(valid);

    const item = (
      await h.stack.clients.doc.send(
        new GetCommand({ TableName: h.stack.tableName, Key: KEYS.failover('fn1') }),
      )
    ).Item;
    const pending = [...((item?.pending as Set<string>) ?? [])].sort();
    const version = Number(item?.version);
    expect(pending.length).toBeGreaterThan(0);
    expect(item?.strategy).toBe('master-binding');
    const sentAt = Number(item?.at);
    const [first, ...rest] = pending as [string, ...string[]];

    // An old report of the first host (before the failover's version), then the others' reports,
    // the first host's real report last, each sent twice; the latest apply is the first one's.
    await h.send([applied(first, version - 1, sentAt + 1)]);
    await h.send(
      rest.map((host, i) => applied(host, version, sentAt + 100 + i)),
      2,
    );
    await h.converge(valid);
    expect(out.emf().filter((b) => b.metrics.includes('FailoverConvergenceMs'))).toEqual([]);
    await h.send([applied(first, version, sentAt + 700)], 2);
    await h.converge(valid);
    await h.send([applied(first, version, sentAt + 700)]);
    await h.converge(valid);

    const values = out
      .emf()
      .filter((b) => b.metrics.includes('FailoverConvergenceMs'))
      .map((b) => ({
        ms: b.values.FailoverConvergenceMs,
        strategy: b.values.strategy,
        dims: b.dimensionSets,
      }));
    expect(values).toEqual([{ ms: 700, strategy: 'master-binding', dims: [['service', 'strategy']] }]);
    const line = out.logs().find((l) => l.message === 'failover converged: every affected agent applied it');
    expect(line).toMatchObject({ networkId: 'fn1', version, hosts: pending.length, convergenceMs: 700 });
    expect(typeof line?.failoverCorrelationId).toBe('string');
  } finally {
    await h.stop();
    out.restore();
  }
});
