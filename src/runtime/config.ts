import type { AuditLimits } from '../core/audit-decision.js';
import { type FlagSettings, STRATEGIES, type Strategy } from '../core/types.js';
import { DEFAULT_VIP_CONFIG, type VipConfig } from '../core/vip.js';

/** A setting is missing or malformed: thrown at cold start, naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RuntimeConfig {
  /** `AWS_REGION` (set by Lambda). */
  readonly region: string;
  /** `L2POP_TABLE_NAME`, required: the single table (infra/resources.yml `StateTable`). */
  readonly tableName: string;
  /** `L2POP_AGENT_QUEUE_PREFIX`, default `l2pop-agent-cmd-`: agent queues are `<prefix><host>.fifo`. */
  readonly agentQueuePrefix: string;
  /** `L2POP_AGENT_QUEUE_KMS_KEY` (KMS key id); unset: SQS-managed encryption (SSE-SQS). */
  readonly agentQueueKmsKey: string | undefined;
  /** `L2POP_DYNAMODB_ENDPOINT` / `L2POP_SQS_ENDPOINT`: local servers; unset in the cloud. */
  readonly dynamoEndpoint: string | undefined;
  readonly sqsEndpoint: string | undefined;
  /**
   * Flags in force until the first `flags.set`: `L2POP_DEFAULT_STRATEGY` (default `tunnel`),
   * `L2POP_ROLLOUT_PERCENT` (0-100, default 0) and `L2POP_ROLLOUT_STRATEGY` (default `master-binding`).
   */
  readonly defaultFlags: FlagSettings;
  /** `L2POP_MAX_ATTEMPTS`, default 8: optimistic-concurrency retries before a transient failure. */
  readonly maxAttempts: number;
  /** `L2POP_FANOUT_CONCURRENCY`, default 16: agent queues sent to in parallel. */
  readonly fanoutConcurrency: number;
  /** `L2POP_TOMBSTONE_TTL_DAYS`, default 7: how long a deleted port rejects late updates. */
  readonly tombstoneTtlDays: number;
  /** `L2POP_REJECTED_TTL_DAYS`, default 30: how long rejected records stay listable. */
  readonly rejectedTtlDays: number;
  /**
   * `L2POP_SWEEP_MIN_AGE_SECONDS`, default 180: the outbox sweeper publishes only records older than
   * this. Longer than every function's timeout (120 s at most, serverless.yml), so it never races
   * an invocation still publishing its own commit (a race would only send a duplicate).
   */
  readonly sweepMinAgeSeconds: number;
  /**
   * `L2POP_AGENT_GONE_AFTER_SECONDS`, default 86400 (24 h): an agent the controller has not heard
   * from (agent.report, agent.resync or agent.applied) for this long is gone, and the sweeper
   * deletes its command queue. Keep it well above the agents' heartbeat (the reference agent
   * repeats its agent.applied every hour, `--heartbeat-ms`).
   */
  readonly agentGoneAfterSeconds: number;
  /**
   * The drift audit (docs/drift-audit.md): `L2POP_AUDIT_LAG_AUDITS`, default 3: audits in a row an
   * agent may report one older version with a mismatching digest (commands in flight) before it
   * counts as drift; `L2POP_AUDIT_MAX_REPAIRS`, default 3: repairs in a row without a match before
   * the controller alarms (`DriftRepairFailing`) and stops repairing that host and network. The
   * audit period itself is the agents' (`--audit-ms`).
   */
  readonly audit: AuditLimits;
  /** `L2POP_LOG_LEVEL`, default `INFO`. */
  readonly logLevel: LogLevel;
  /** `L2POP_METRICS_NAMESPACE`, default `L2Pop`. */
  readonly metricsNamespace: string;
  /**
   * `POWERTOOLS_TRACE_ENABLED` (`true`/`false`): X-Ray tracing of the handlers and their DynamoDB
   * and SQS calls. Default: on in Lambda (`AWS_LAMBDA_FUNCTION_NAME` set), off elsewhere; the
   * local stack sets `false` (no X-Ray daemon there).
   */
  readonly tracingEnabled: boolean;
  /**
   * VIP claim rules (docs/vip.md, "Flapping"): `L2POP_VIP_MAX_MOVES` (N, default 5),
   * `L2POP_VIP_WINDOW_SECONDS` (T, default 180), `L2POP_VIP_HOLD_SECONDS` (release after, default
   * 180), `L2POP_VIP_SPLIT_BRAIN_MS` (default 1000), `L2POP_VIP_MAX_FUTURE_MS` (default 10000).
   */
  readonly vip: VipConfig;
  /**
   * `L2POP_OVERLAY_IP_VERSION` (`4` or `6`, default `4`): the IP version of every tunnel endpoint,
   * as Neutron's `[ml2] overlay_ip_version`; an agent report of the other version is rejected
   * (`tunnel_ip_version`).
   */
  readonly overlayIpVersion: 4 | 6;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw new ConfigError(`missing environment variable ${name}`);
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(`${name}=${raw}: expected an integer in [${min}, ${max}]`);
  return v;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(`${name}=${raw}: expected one of ${values.join(', ')}`);
  return raw as T;
}

/**
 * The only reader of `process.env` (style.md §7). Validates and types every setting at cold start
 * and fails naming the variable. Each setting is documented here with its default.
 */
export function loadConfig(env: Env = process.env): RuntimeConfig {
  const strategy = (name: string, fallback: Strategy) => oneOf(env, name, STRATEGIES, fallback);
  const percent = int(env, 'L2POP_ROLLOUT_PERCENT', 0, 0, 100);
  return {
    region: required(env, 'AWS_REGION'),
    tableName: required(env, 'L2POP_TABLE_NAME'),
    agentQueuePrefix: env.L2POP_AGENT_QUEUE_PREFIX || 'l2pop-agent-cmd-',
    agentQueueKmsKey: env.L2POP_AGENT_QUEUE_KMS_KEY || undefined,
    dynamoEndpoint: env.L2POP_DYNAMODB_ENDPOINT || undefined,
    sqsEndpoint: env.L2POP_SQS_ENDPOINT || undefined,
    defaultFlags: {
      defaultStrategy: strategy('L2POP_DEFAULT_STRATEGY', 'tunnel'),
      rollout:
        percent > 0 ? { percent, strategy: strategy('L2POP_ROLLOUT_STRATEGY', 'master-binding') } : null,
      networks: {},
      routers: {},
    },
    maxAttempts: int(env, 'L2POP_MAX_ATTEMPTS', 8, 1, 100),
    fanoutConcurrency: int(env, 'L2POP_FANOUT_CONCURRENCY', 16, 1, 256),
    tombstoneTtlDays: int(env, 'L2POP_TOMBSTONE_TTL_DAYS', 7, 1, 3650),
    rejectedTtlDays: int(env, 'L2POP_REJECTED_TTL_DAYS', 30, 1, 3650),
    sweepMinAgeSeconds: int(env, 'L2POP_SWEEP_MIN_AGE_SECONDS', 180, 0, 14 * 24 * 3600),
    agentGoneAfterSeconds: int(env, 'L2POP_AGENT_GONE_AFTER_SECONDS', 86_400, 1, 366 * 24 * 3600),
    audit: {
      lagAudits: int(env, 'L2POP_AUDIT_LAG_AUDITS', 3, 1, 100),
      maxRepairs: int(env, 'L2POP_AUDIT_MAX_REPAIRS', 3, 1, 100),
    },
    logLevel: oneOf(env, 'L2POP_LOG_LEVEL', LOG_LEVELS, 'INFO'),
    metricsNamespace: env.L2POP_METRICS_NAMESPACE || 'L2Pop',
    overlayIpVersion: oneOf(env, 'L2POP_OVERLAY_IP_VERSION', ['4', '6'] as const, '4') === '6' ? 6 : 4,
    vip: {
      maxMoves: int(env, 'L2POP_VIP_MAX_MOVES', DEFAULT_VIP_CONFIG.maxMoves, 1, 1000),
      windowMs: 1000 * int(env, 'L2POP_VIP_WINDOW_SECONDS', DEFAULT_VIP_CONFIG.windowMs / 1000, 1, 86_400),
      holdMs: 1000 * int(env, 'L2POP_VIP_HOLD_SECONDS', DEFAULT_VIP_CONFIG.holdMs / 1000, 1, 86_400),
      splitBrainMs: int(env, 'L2POP_VIP_SPLIT_BRAIN_MS', DEFAULT_VIP_CONFIG.splitBrainMs, 0, 60_000),
      maxFutureMs: int(env, 'L2POP_VIP_MAX_FUTURE_MS', DEFAULT_VIP_CONFIG.maxFutureMs, 0, 3_600_000),
    },
    tracingEnabled:
      oneOf(
        env,
        'POWERTOOLS_TRACE_ENABLED',
        ['true', 'false'],
        env.AWS_LAMBDA_FUNCTION_NAME ? 'true' : 'false',
      ) === 'true',
  };
}
