import { beforeAll, describe, expect, it } from 'vitest';
import { captureOutput, type EmfBlob } from '../support/emf.js';
import { agentReport, message, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';
import type { WorkloadMessage } from '../support/workload.js';

/**
 * The metrics the functions publish, read from what they write to stdout (Powertools EMF lines,
 * which CloudWatch Logs turns into metrics), with the bundled functions behind the poller. Every
 * metric carries a `strategy` dimension, and a split brain is a metric an alarm can watch.
 */
const NAMESPACE = 'L2Pop/metrics-test';
const HA_OWNER = 'network:ha_router_replicated_interface';

const agent = (host: string, i: number, kernel = false) => agentReport(host, `192.0.2.${i}`, kernel);
const port = (id: string, net: number, host: string, n: number, owner?: string, device?: string) =>
  portUpsert({
    network: `mn${net}`,
    segmentId: 700 + net,
    id,
    mac: `fa:16:3e:70:0${net}:0${n}`,
    ip: `10.70.${net}.${n}`,
    host,
    ...(owner ? { owner } : {}),
    ...(device ? { device } : {}),
  });

const valid: WorkloadMessage[] = [
  agent('m1', 1),
  agent('m2', 2),
  agent('m3', 3, true),
  message('ha', 'flags', {
    type: 'flags.set',
    flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
    revision: 1,
  }),
  message('ha', 'mr', { type: 'ha.schedule', routerId: 'mr', hosts: ['m1', 'm2'], revision: 1 }),
  message('ha', 'mr', { type: 'ha.state', routerId: 'mr', host: 'm1', state: 'active', term: 1, seq: 1 }),
  port('mif', 1, 'm1', 1, HA_OWNER, 'mr'),
  port('mvm1', 1, 'm3', 2),
  port('mvm2', 2, 'm3', 3),
  port('mvm3', 2, 'm2', 4),
];
// m2 claims active while m1 never reported standby: two masters, the newest claim wins.
const splitBrain = message('ha', 'mr', {
  type: 'ha.state',
  routerId: 'mr',
  host: 'm2',
  state: 'active',
  term: 1,
  seq: 2,
});
const invalid = { ...port('bad', 2, 'm3', 9), event: null };
const invalidMessage = { ...invalid, body: invalid.body.replace('fa:16:3e:70:02:09', 'fa:16:3e:70:02:zz') };

let h: Harness;
let blobs: EmfBlob[] = [];
let logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  const out = captureOutput();
  try {
    h = await startHarness({
      label: 'metrics',
      env: {
        POWERTOOLS_METRICS_DISABLED: 'false',
        L2POP_METRICS_NAMESPACE: NAMESPACE,
        L2POP_LOG_LEVEL: 'ERROR',
      },
    });
    await h.send(valid);
    await h.converge(valid);
    await h.send([splitBrain, invalidMessage]);
    await h.converge([...valid, splitBrain]);
  } finally {
    await h?.stop();
    out.restore();
  }
  blobs = out.emf();
  logs = out.logs();
});

const withMetric = (name: string) => blobs.filter((b) => b.metrics.includes(name));

describe('metrics (EMF on stdout)', () => {
  it('publishes every metric under the configured namespace with a strategy dimension', () => {
    expect(blobs.length).toBeGreaterThan(10);
    for (const b of blobs) {
      expect(b.namespace).toBe(NAMESPACE);
      expect(b.dimensionSets.length).toBeGreaterThan(0);
      for (const set of b.dimensionSets) expect(set).toContain('strategy');
      expect(typeof b.values.strategy).toBe('string');
    }
    const names = new Set(blobs.flatMap((b) => b.metrics));
    for (const n of [
      'ColdStart',
      'BatchRecords',
      'Events',
      'CommandsPlanned',
      'AgentMessages',
      'SplitBrain',
      'Rejected',
    ])
      expect(names).toContain(n);
  });

  it('labels an event with the strategy of the HA routers it involved, or none', () => {
    const events = withMetric('Events').map((b) => ({
      service: b.values.service,
      eventType: b.values.eventType,
      strategy: b.values.strategy,
      outcome: b.values.outcome,
    }));
    expect(events).toContainEqual({
      service: 'port-events',
      eventType: 'port.upsert',
      strategy: 'master-binding',
      outcome: 'applied',
    });
    expect(events).toContainEqual({
      service: 'port-events',
      eventType: 'port.upsert',
      strategy: 'none',
      outcome: 'applied',
    });
    expect(events).toContainEqual({
      service: 'ha-events',
      eventType: 'ha.state',
      strategy: 'master-binding',
      outcome: 'applied',
    });
    for (const b of withMetric('Events'))
      expect(b.dimensionSets).toEqual([['service', 'eventType', 'outcome', 'strategy']]);
  });

  it('raises split brain as the SplitBrain metric and an error log line, both with the strategy', () => {
    const sb = withMetric('SplitBrain');
    expect(sb.length).toBeGreaterThan(0);
    for (const b of sb) {
      expect(b.dimensionSets).toEqual([['service', 'strategy']]);
      expect(b.values).toMatchObject({ service: 'ha-events', strategy: 'master-binding', SplitBrain: 1 });
    }
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: expect.stringContaining('split brain'),
        routers: ['mr'],
        strategy: 'master-binding',
      }),
    );
  });

  it('counts a rejected message with its code, strategy none', () => {
    expect(withMetric('Rejected').map((b) => b.values)).toContainEqual(
      expect.objectContaining({ service: 'port-events', code: 'invalid_mac', strategy: 'none', Rejected: 1 }),
    );
  });

  it('puts batch-level metrics under strategy none', () => {
    for (const name of ['BatchRecords', 'ColdStart']) {
      expect(withMetric(name).length).toBeGreaterThan(0);
      for (const b of withMetric(name)) expect(b.values.strategy).toBe('none');
    }
  });
});
