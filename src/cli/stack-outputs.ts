import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { InboundQueueId, QueueUrls } from '../adapters/aws/inbound-queues.js';
import { DEFAULT_FLAGS } from '../core/flags.js';
import { type FlagSettings, STRATEGIES, type Strategy } from '../core/types.js';
import { UsageError } from './cli-support.js';
import { labelEndpoint } from './endpoint-errors.js';

/** What the CLI needs of a stack: the Outputs of serverless.yml / infra/*.yml, by meaning. */
export interface StackOutputs {
  readonly tableName: string;
  readonly queues: QueueUrls;
  /** The inbound queues' dead-letter queues. */
  readonly dlqs: Readonly<Record<InboundQueueId, string>>;
  readonly metricsNamespace: string;
  readonly agentQueuePrefix: string;
  /** The deployment's flags until the first flags.set (parameters defaultStrategy, rollout*). */
  readonly defaultFlags: FlagSettings;
}

/** Output key -> field. The template's Outputs (test/deploy/package.test.ts checks they are all there). */
export const OUTPUT_KEYS = {
  StateTableName: 'tableName',
  PortEventsQueueUrl: 'PortEventsQueue',
  HaEventsQueueUrl: 'HaEventsQueue',
  AgentEventsQueueUrl: 'AgentEventsQueue',
  PortEventsDlqUrl: 'PortEventsDlq',
  HaEventsDlqUrl: 'HaEventsDlq',
  AgentEventsDlqUrl: 'AgentEventsDlq',
  MetricsNamespace: 'metricsNamespace',
  AgentQueuePrefix: 'agentQueuePrefix',
  DefaultStrategy: 'defaultFlags',
  RolloutPercent: 'defaultFlags',
  RolloutStrategy: 'defaultFlags',
} as const;

function strategyOutput(value: string | undefined, fallback: Strategy, key: string): Strategy {
  if (value === undefined) return fallback;
  if (!(STRATEGIES as readonly string[]).includes(value))
    throw new UsageError(`stack output ${key}=${value}: expected one of ${STRATEGIES.join(', ')}`);
  return value as Strategy;
}

/** Builds StackOutputs from a stack's `OutputKey -> OutputValue`; names the first one missing. */
export function outputsFrom(values: Readonly<Record<string, string>>, stackName: string): StackOutputs {
  const get = (key: keyof typeof OUTPUT_KEYS) => {
    const v = values[key];
    if (!v)
      throw new UsageError(
        `stack ${stackName} has no output ${key}: deploy this version of the controller (serverless.yml) first`,
      );
    return v;
  };
  return {
    tableName: get('StateTableName'),
    queues: {
      PortEventsQueue: get('PortEventsQueueUrl'),
      HaEventsQueue: get('HaEventsQueueUrl'),
      AgentEventsQueue: get('AgentEventsQueueUrl'),
    },
    dlqs: {
      PortEventsQueue: get('PortEventsDlqUrl'),
      HaEventsQueue: get('HaEventsDlqUrl'),
      AgentEventsQueue: get('AgentEventsDlqUrl'),
    },
    metricsNamespace: get('MetricsNamespace'),
    agentQueuePrefix: get('AgentQueuePrefix'),
    defaultFlags: {
      ...DEFAULT_FLAGS,
      defaultStrategy: strategyOutput(
        values.DefaultStrategy,
        DEFAULT_FLAGS.defaultStrategy,
        'DefaultStrategy',
      ),
      rollout:
        Number(values.RolloutPercent ?? 0) > 0
          ? {
              percent: Number(values.RolloutPercent),
              strategy: strategyOutput(values.RolloutStrategy, 'master-binding', 'RolloutStrategy'),
            }
          : null,
    },
  };
}

/**
 * Reads a deployed stack's Outputs with CloudFormation DescribeStacks (credentials: the SDK's
 * default chain). `endpoint` overrides CloudFormation's (`--cloudformation-endpoint`).
 */
export async function readStackOutputs(o: {
  stackName: string;
  region: string | undefined;
  endpoint: string | undefined;
}): Promise<StackOutputs> {
  const cfn = new CloudFormationClient({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
  });
  labelEndpoint(cfn, {
    service: 'CloudFormation',
    endpoint: o.endpoint,
    flag: '--cloudformation-endpoint (or --region)',
  });
  try {
    const r = await cfn.send(new DescribeStacksCommand({ StackName: o.stackName })).catch((err: unknown) => {
      const e = err as Error;
      if (/does not exist/.test(e.message ?? ''))
        throw new UsageError(
          `stack ${o.stackName} does not exist in ${o.region ?? 'the default region'}: check --stage, --stack-name and --region`,
        );
      if (/Region is missing/i.test(e.message ?? ''))
        throw new UsageError('no AWS region: give --region (or set AWS_REGION, or a region in the profile)');
      throw err;
    });
    const values: Record<string, string> = {};
    for (const out of r.Stacks?.[0]?.Outputs ?? [])
      if (out.OutputKey && out.OutputValue) values[out.OutputKey] = out.OutputValue;
    return outputsFrom(values, o.stackName);
  } finally {
    cfn.destroy();
  }
}
