import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import type { EventResult, VipOutcomeSummary } from '../../src/app/reconcile.js';
import { observeVip } from '../../src/runtime/observe.js';
import type { Runtime } from '../../src/runtime/runtime.js';

/**
 * A frozen VIP is an ERROR line naming the VIP, its network and owner, and a `VipFrozen` count
 * (the metric `VipFrozenAlarm` sums). The logger and metrics are recorders: the EMF output itself
 * is tested in test/runtime/metrics.test.ts.
 */
function recorder() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const metrics: Record<string, number>[] = [];
  let current: Record<string, number> = {};
  const log = (level: string) => (message: string, fields: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  const rt = {
    logger: { error: log('error'), warn: log('warn'), info: log('info') },
    eventMetrics: {
      clearDimensions: () => {},
      addDimension: () => {},
      addMetric: (name: string, _unit: unknown, value: number) => {
        current[name] = value;
      },
      publishStoredMetrics: () => {
        metrics.push(current);
        current = {};
      },
    } as unknown as Metrics,
  } as unknown as Pick<Runtime, 'logger' | 'eventMetrics'>;
  return { rt, lines, metrics };
}

const VIP: VipOutcomeSummary = {
  networkId: 'net-a',
  ip: '10.0.0.100',
  owner: { host: 'compute-2', portId: 'vm-2', mac: 'fa:16:3e:00:00:02' },
  strategy: 'master-binding',
  moved: true,
  froze: true,
  frozen: true,
  suppressed: false,
  released: false,
  splitBrain: false,
};
const result = (vip: VipOutcomeSummary): EventResult => ({
  outcome: 'applied',
  networks: [],
  splitBrain: [],
  strategies: {},
  vip,
});

describe('observeVip', () => {
  it('logs a freeze naming the VIP, the network and the owner, and counts VipFrozen', () => {
    const r = recorder();
    observeVip(r.rt, {}, result(VIP));
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]?.level).toBe('error');
    expect(r.lines[0]?.message).toContain('10.0.0.100');
    expect(r.lines[0]?.message).toContain('net-a');
    expect(r.lines[0]?.message).toContain('compute-2');
    expect(r.metrics).toEqual([{ VipFrozen: 1 }]);
  });

  it('counts split brain and releases, and nothing for an ordinary move', () => {
    const r = recorder();
    observeVip(r.rt, {}, result({ ...VIP, froze: false, splitBrain: true }));
    observeVip(r.rt, {}, result({ ...VIP, froze: false, frozen: false, released: true }));
    observeVip(r.rt, {}, result({ ...VIP, froze: false, frozen: false }));
    expect(r.metrics).toEqual([{ VipSplitBrain: 1 }, { VipReleased: 1 }]);
  });
});
