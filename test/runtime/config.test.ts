import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/runtime/config.js';

const base = { AWS_REGION: 'eu-west-1', L2POP_TABLE_NAME: 't' };

describe('loadConfig (the only reader of process.env)', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      region: 'eu-west-1',
      tableName: 't',
      agentQueuePrefix: 'l2pop-agent-cmd-',
      maxAttempts: 8,
      fanoutConcurrency: 16,
      sweepMinAgeSeconds: 180,
      logLevel: 'INFO',
      overlayIpVersion: 4,
      defaultFlags: { defaultStrategy: 'tunnel', rollout: null, networks: {}, routers: {} },
    });
    expect(c.dynamoEndpoint).toBeUndefined();
    // the fault points are the local stack's (tools/local/faults.ts), not the deployed config's
    expect(c).not.toHaveProperty('faults');
  });

  it('fails at cold start naming the missing or malformed variable', () => {
    expect(() => loadConfig({ AWS_REGION: 'x' })).toThrow(
      new ConfigError('missing environment variable L2POP_TABLE_NAME'),
    );
    expect(() => loadConfig({ ...base, L2POP_DEFAULT_STRATEGY: 'magic' })).toThrow(
      /L2POP_DEFAULT_STRATEGY=magic/,
    );
    expect(() => loadConfig({ ...base, L2POP_ROLLOUT_PERCENT: '101' })).toThrow(/L2POP_ROLLOUT_PERCENT/);
    expect(() => loadConfig({ ...base, L2POP_OVERLAY_IP_VERSION: 'v6' })).toThrow(
      /L2POP_OVERLAY_IP_VERSION=v6/,
    );
    expect(loadConfig({ ...base, L2POP_OVERLAY_IP_VERSION: '6' }).overlayIpVersion).toBe(6);
  });

  it('reads the rollout', () => {
    const c = loadConfig({ ...base, L2POP_ROLLOUT_PERCENT: '25', L2POP_ROLLOUT_STRATEGY: 'auto' });
    expect(c.defaultFlags.rollout).toEqual({ percent: 25, strategy: 'auto' });
  });
});
