import { describe, expect, it } from 'vitest';
import { computeAuditCost, SECONDS_PER_MONTH } from '../../tools/bench/audit-cost/compute-audit-cost.js';

const fleet = { agents: 2000, networks: 10_000, hostsPerNetwork: 10 };
const one = { networks: 1, dynamoRequests: 2, readUnits: 1, writeUnits: 1, ms: 10 };
const fifty = { networks: 50, dynamoRequests: 2, readUnits: 50, writeUnits: 1, ms: 20 };

describe('the drift audit cost model (npm run bench:audit-cost)', () => {
  it('sends one message per agent per period while its networks fit one message', () => {
    const r = computeAuditCost(fleet, [one, fifty], 60);
    expect(r.sqsMessagesPerSecond).toBeCloseTo(2000 / 60, 9);
    expect(r.lambdaInvocationsPerSecond).toBeCloseTo(2000 / 60, 9);
    // send + the event source mapping's receive and delete
    expect(r.sqsRequestsPerSecond).toBeCloseTo(100, 9);
    expect(r.monthly.sqs).toBeCloseTo((100 * SECONDS_PER_MONTH * 0.5) / 1e6, 6);
  });

  it('interpolates the measured cost to the networks a message carries', () => {
    const r = computeAuditCost(fleet, [fifty, one], 60);
    expect(r.readUnitsPerSecond).toBeCloseTo((2000 / 60) * 50, 6);
    expect(r.writeUnitsPerSecond).toBeCloseTo(2000 / 60, 6);
    expect(r.dynamoRequestsPerSecond).toBeCloseTo((2000 / 60) * 2, 6);
    expect(r.lambdaGbSecondsPerSecond).toBeCloseTo(((2000 / 60) * 20) / 1000, 9);
    expect(r.monthly.dynamoOnDemand).toBeCloseTo(
      (((2000 / 60) * 50 * 0.125 + (2000 / 60) * 0.625) * SECONDS_PER_MONTH) / 1e6,
      6,
    );
  });

  it('splits an agent of more than 60 networks into several messages, and scales with the period', () => {
    const wide = computeAuditCost({ ...fleet, networks: 26_000 }, [one, fifty], 60);
    // 130 networks per agent: 3 messages of 43.3 networks each
    expect(wide.sqsMessagesPerSecond).toBeCloseTo((3 * 2000) / 60, 9);
    expect(wide.readUnitsPerSecond).toBeCloseTo(((3 * 2000) / 60) * (130 / 3), 6);
    const slow = computeAuditCost(fleet, [one, fifty], 300);
    expect(slow.monthly.total * 5).toBeCloseTo(computeAuditCost(fleet, [one, fifty], 60).monthly.total, 6);
  });

  it('refuses to price an audit it has no measurement of', () => {
    expect(() => computeAuditCost(fleet, [], 60)).toThrow(/at least one measured audit/);
  });
});
