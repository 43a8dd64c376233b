import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import type { EventResult } from '../../src/app/reconcile.js';
import { observeAudits } from '../../src/runtime/observe.js';
import { captureOutput } from '../support/emf.js';

/**
 * The drift audit's metrics and log lines (docs/drift-audit.md §6), as Powertools writes them:
 * `DriftDetected` per repair and `DriftRepairFailing` per pair left alone, with dimensions that
 * name no host or network, and ERROR lines that name both.
 */
describe('drift audit observability', () => {
  it('counts drift and failing repairs without host dimensions, and logs the host and network', () => {
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const out = captureOutput();
    try {
      const rt = {
        logger: new Logger({ serviceName: 'agent-events' }),
        eventMetrics: new Metrics({ namespace: 'L2Pop/t', serviceName: 'agent-events' }),
      };
      const result: EventResult = {
        outcome: 'applied',
        networks: [],
        splitBrain: [],
        strategies: {},
        audits: [
          { host: 'c1', networkId: 'n1', result: 'drift', repaired: true },
          { host: 'c2', networkId: 'n2', result: 'repair-failing', repaired: false },
          { host: 'c3', networkId: 'n3', result: 'lagging', repaired: false },
          { host: 'c4', networkId: 'n4', result: 'match', repaired: false },
        ],
      };
      observeAudits(rt, { messageId: 'm1' }, result);
    } finally {
      out.restore();
      process.env.POWERTOOLS_METRICS_DISABLED = saved;
    }
    const blobs = out.emf();
    expect(blobs.map((b) => b.metrics)).toEqual([['DriftDetected'], ['DriftRepairFailing']]);
    for (const b of blobs) {
      expect(b.dimensionSets.flat().sort()).toEqual(['eventType', 'service', 'strategy']);
      expect(JSON.stringify(b.values)).not.toMatch(/"c[1-4]"|"n[1-4]"/);
    }
    const errors = out.logs().filter((l) => l.level === 'ERROR');
    expect(errors.map((l) => [l.host, l.networkId])).toEqual([
      ['c1', 'n1'],
      ['c2', 'n2'],
    ]);
  });
});
