import { LIMITS } from '../../../src/contracts/primitives.js';

/**
 * AWS list prices used for the audit's cost, us-east-1, on-demand, without free tiers. They were
 * not fetched live (this project's machines reach no AWS page); they are the published prices as
 * of the date below, and a reader can replace them here and rerun the bench.
 */
export const AUDIT_PRICES = {
  date: '2026-12-07',
  region: 'us-east-1',
  /** SQS FIFO queue, per million requests (first 100 billion a month); a request carries up to 64 KiB. */
  sqsFifoPerMillionRequests: 0.5,
  /** Lambda, per million invocations. */
  lambdaPerMillionInvocations: 0.2,
  /** Lambda arm64 (serverless.yml: `architecture: arm64`), per GB-second (first 6 billion a month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand (since the 2024-11-01 price cut), per million write / read request units. */
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  /** DynamoDB provisioned, per WCU-hour / RCU-hour (the alternative for a steady load like this one). */
  dynamoPerWcuHour: 0.00065,
  dynamoPerRcuHour: 0.00013,
} as const;

/** AWS's billing month: 730 hours. */
export const SECONDS_PER_MONTH = 730 * 3600;

/** The fleet: every network has `hostsPerNetwork` agents, spread evenly over `agents`. */
export interface AuditFleet {
  readonly agents: number;
  readonly networks: number;
  readonly hostsPerNetwork: number;
}

/** What one `agent.audit` of `networks` networks cost the controller, measured on DynamoDB Local. */
export interface MeasuredAudit {
  readonly networks: number;
  readonly dynamoRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Milliseconds of the use-case (upper bound for the Lambda's billed duration on AWS). */
  readonly ms: number;
}

/**
 * The SQS requests one audit message costs: the agent's SendMessage, and the event source
 * mapping's ReceiveMessage and DeleteMessage (the agent-events function takes batches of 1,
 * serverless.yml). SQS bills the mapping's requests like any other.
 */
export const SQS_REQUESTS_PER_MESSAGE = 3;

export interface AuditCostRow {
  readonly periodSeconds: number;
  readonly sqsMessagesPerSecond: number;
  readonly sqsRequestsPerSecond: number;
  readonly lambdaInvocationsPerSecond: number;
  readonly lambdaGbSecondsPerSecond: number;
  readonly dynamoRequestsPerSecond: number;
  readonly readUnitsPerSecond: number;
  readonly writeUnitsPerSecond: number;
  /** Dollars a month (730 h) at AUDIT_PRICES. */
  readonly monthly: {
    readonly sqs: number;
    readonly lambda: number;
    readonly dynamoOnDemand: number;
    readonly dynamoProvisioned: number;
    readonly total: number;
  };
}

/**
 * A cost linear in the networks a message carries, through two measured audits: a fixed part per
 * message and a part per (agent, network). With one measurement it is all per message.
 */
function perMessage(m: readonly MeasuredAudit[], k: keyof Omit<MeasuredAudit, 'networks'>) {
  const sorted = [...m].sort((a, b) => a.networks - b.networks);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  if (!lo || !hi) throw new Error('computeAuditCost needs at least one measured audit');
  const perNetwork = hi.networks > lo.networks ? (hi[k] - lo[k]) / (hi.networks - lo.networks) : 0;
  return (networks: number) => lo[k] + perNetwork * (networks - lo.networks);
}

/**
 * The audit's steady-state cost (no drift, so no repair) for a fleet at one audit period: every
 * agent sends one message per `LIMITS.maxAuditNetworks` networks it holds, once a period.
 */
export function computeAuditCost(
  fleet: AuditFleet,
  measured: readonly MeasuredAudit[],
  periodSeconds: number,
  lambdaMemoryGb = 1,
  prices = AUDIT_PRICES,
): AuditCostRow {
  const networksPerAgent = (fleet.networks * fleet.hostsPerNetwork) / fleet.agents;
  const messagesPerAgent = Math.max(1, Math.ceil(networksPerAgent / LIMITS.maxAuditNetworks));
  const networksPerMessage = networksPerAgent / messagesPerAgent;
  const messages = (fleet.agents * messagesPerAgent) / periodSeconds;
  const rate = (k: keyof Omit<MeasuredAudit, 'networks'>) =>
    messages * perMessage(measured, k)(networksPerMessage);
  const readUnits = rate('readUnits');
  const writeUnits = rate('writeUnits');
  const gbSeconds = (rate('ms') / 1000) * lambdaMemoryGb;
  const sqsRequests = messages * SQS_REQUESTS_PER_MESSAGE;
  const month = SECONDS_PER_MONTH;
  const sqs = (sqsRequests * month * prices.sqsFifoPerMillionRequests) / 1e6;
  const lambda =
    (messages * month * prices.lambdaPerMillionInvocations) / 1e6 +
    gbSeconds * month * prices.lambdaArmPerGbSecond;
  const dynamoOnDemand =
    ((readUnits * prices.dynamoPerMillionReadUnits + writeUnits * prices.dynamoPerMillionWriteUnits) *
      month) /
    1e6;
  const dynamoProvisioned =
    (Math.ceil(readUnits) * prices.dynamoPerRcuHour + Math.ceil(writeUnits) * prices.dynamoPerWcuHour) * 730;
  return {
    periodSeconds,
    sqsMessagesPerSecond: messages,
    sqsRequestsPerSecond: sqsRequests,
    lambdaInvocationsPerSecond: messages,
    lambdaGbSecondsPerSecond: gbSeconds,
    dynamoRequestsPerSecond: rate('dynamoRequests'),
    readUnitsPerSecond: readUnits,
    writeUnitsPerSecond: writeUnits,
    monthly: { sqs, lambda, dynamoOnDemand, dynamoProvisioned, total: sqs + lambda + dynamoOnDemand },
  };
}
