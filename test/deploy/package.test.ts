import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, ROOT } from '../../scripts/build.mjs';
import { pinnedNodeVersion } from '../../scripts/ensure-deps.mjs';
import { GSI1 } from '../../src/adapters/aws/dynamo-keys.js';
import { OUTPUT_KEYS } from '../../src/cli/stack-outputs.js';
import { loadConfig } from '../../src/runtime/config.js';
import { FUNCTION_QUEUES, type FunctionName } from '../../tools/local/local-stack.js';
import { CONTROLLER_WILDCARDS, findTemplateIamViolations, renderValue } from './iam-policy.js';
import {
  type CfnResource,
  type CfnTemplate,
  type PackagedService,
  packageService,
} from './package-service.js';

const STACK = `\${AWS::StackName}`;
const ARN = (service: string) => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:`;
const TABLE_ARN = `\${StateTable.Arn}`;
/** The queue-triggered functions and their inbound queues. */
const QUEUE_FUNCTIONS = Object.entries(FUNCTION_QUEUES) as [FunctionName, string][];
/** The functions an EventBridge schedule invokes (serverless.yml `schedule`): no inbound queue. */
const SCHEDULES = { 'outbox-sweeper': 'rate(5 minutes)' } as const;
type ScheduledFunction = keyof typeof SCHEDULES;
type DeployedFunction = FunctionName | ScheduledFunction;
const ALL_FUNCTIONS: readonly DeployedFunction[] = [
  ...QUEUE_FUNCTIONS.map(([fn]) => fn),
  ...(Object.keys(SCHEDULES) as ScheduledFunction[]),
];

/** What each function's code calls (src/adapters/aws, src/runtime), by statement: infra/roles.yml. */
function expectedStatements(fn: DeployedFunction) {
  // X-Ray's write actions take only `*` (the one action-scoped allowance of iam-policy.ts)
  const tracing = { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] };
  const agentQueues = {
    actions: ['sqs:CreateQueue', 'sqs:GetQueueUrl', 'sqs:SendMessage', 'sqs:TagQueue'],
    resources: [`${ARN('sqs')}${STACK}-agent-cmd-*.fifo`],
  };
  const logs = {
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [`${ARN('logs')}log-group:/aws/lambda/${STACK}-${fn}:*`],
  };
  // The sweeper (src/runtime/outbox-sweep.ts): a Query of gsi1, then flushOutbox (Query,
  // BatchWriteItem; GetItem in deleteOutbox) and the publisher. No transaction, no inbound queue.
  // Then the agent queue sweep (src/runtime/agent-queue-sweep.ts): list, tag-read and delete the
  // agent queues (the same prefix, nothing wider), GetItem/UpdateItem of a host's last-seen time.
  if (fn === 'outbox-sweeper')
    return {
      Tracing: tracing,
      StateTable: {
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [TABLE_ARN],
      },
      PendingOutboxIndex: { actions: ['dynamodb:Query'], resources: [`${TABLE_ARN}/index/${GSI1}`] },
      AgentQueues: agentQueues,
      AgentQueueLifecycle: {
        actions: ['sqs:DeleteQueue', 'sqs:ListQueueTags'],
        resources: [`${ARN('sqs')}${STACK}-agent-cmd-*.fifo`],
      },
      // ListQueues has no resource type: `*` in a statement of its own (test/deploy/iam-policy.ts).
      ListAgentQueues: { actions: ['sqs:ListQueues'], resources: ['*'] },
      Logs: logs,
    };
  return {
    Tracing: tracing,
    StateTable: {
      actions: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      resources: [TABLE_ARN],
    },
    AgentQueues: agentQueues,
    InboundQueue: {
      actions: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      resources: [`\${${FUNCTION_QUEUES[fn]}.Arn}`],
    },
    Logs: logs,
  };
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const envOf = (r: CfnResource | undefined) =>
  ((r?.Properties.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
const getAttId = (v: unknown) => (v as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];

describe('serverless package (osls, offline, no credentials)', () => {
  let pkg: PackagedService;
  let template: CfnTemplate;
  const resources = (type: string) =>
    Object.entries(template.Resources).filter(([, r]) => r.Type === type) as [string, CfnResource][];
  const lambda = (fn: DeployedFunction) => {
    const found = resources('AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === `l2pop-dev-${fn}`,
    );
    if (!found) throw new Error(`no function ${fn}`);
    return found;
  };
  const queue = (id: string) => {
    const q = template.Resources[id];
    if (q?.Type !== 'AWS::SQS::Queue') throw new Error(`no queue ${id}`);
    return q.Properties;
  };

  let overridden: CfnTemplate;
  beforeAll(async () => {
    const [defaults, withParams] = await Promise.all([
      packageService(),
      packageService([
        '--param=defaultStrategy=auto',
        '--param=rolloutPercent=25',
        '--param=oldestMessageAgeSeconds=120',
        '--param=sweeperErrorsThreshold=2',
        '--param=sweepMinAgeSeconds=600',
        '--param=agentGoneAfterSeconds=3600',
        '--param=alarmTopicArn=arn:aws:sns:eu-west-1:123456789012:oncall',
      ]),
    ]);
    pkg = defaults;
    template = pkg.template;
    overridden = withParams.template;
  });

  it('packages without a configuration warning (osls knows the nodejs22.x runtime)', () => {
    expect(pkg.output).not.toMatch(/Invalid configuration|Warning|deprecat/i);
    expect(pkg.output).toMatch(/Packaging l2pop/);
  });

  it('deploys one function per inbound queue and the sweeper, on a runtime AWS supports', () => {
    expect(resources('AWS::Lambda::Function')).toHaveLength(ALL_FUNCTIONS.length);
    for (const fn of ALL_FUNCTIONS) {
      const { Runtime, Handler } = lambda(fn)[1].Properties;
      // The Node major the tests run on (package.json's devDependency `node`), which AWS supports.
      expect(String(Runtime)).toBe(`nodejs${pinnedNodeVersion().split('.')[0]}.x`);
      expect(process.version.startsWith(`v${pinnedNodeVersion().split('.')[0]}.`)).toBe(true);
      expect(Handler).toBe(`functions/${fn}.handler`);
    }
  });

  it('maps each queue to its function with partial batch responses, a FIFO batch and no window', () => {
    const mappings = resources('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mappings).toHaveLength(QUEUE_FUNCTIONS.length);
    for (const [fn, queueId] of QUEUE_FUNCTIONS) {
      const [fnId] = lambda(fn);
      const m = mappings.filter((p) => getAttId(p.FunctionName) === fnId);
      expect(m).toHaveLength(1);
      expect(getAttId(m[0]?.EventSourceArn)).toBe(queueId);
      expect(m[0]?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(m[0]?.BatchSize).toBeGreaterThanOrEqual(1);
      expect(m[0]?.BatchSize).toBeLessThanOrEqual(10);
      expect(m[0]?.MaximumBatchingWindowInSeconds).toBeUndefined();
    }
  });

  it('invokes the sweeper on its schedule only, with the minimum age above every writer timeout', () => {
    for (const [fn, expression] of Object.entries(SCHEDULES) as [ScheduledFunction, string][]) {
      const [fnId, sweeper] = lambda(fn);
      const rules = resources('AWS::Events::Rule').filter(([, r]) =>
        asList(r.Properties.Targets).some((t) => getAttId((t as { Arn: unknown }).Arn) === fnId),
      );
      expect(rules).toHaveLength(1);
      const [ruleId, rule] = rules[0] as [string, CfnResource];
      expect(rule.Properties).toMatchObject({ ScheduleExpression: expression, State: 'ENABLED' });
      const permissions = resources('AWS::Lambda::Permission').filter(
        ([, p]) => getAttId(p.Properties.FunctionName) === fnId,
      );
      expect(permissions.map(([, p]) => p.Properties)).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
        }),
      ]);
      expect(Number(sweeper.Properties.Timeout)).toBe(300);
      // Overlapping ticks are harmless (serverless.yml says why): no reserved concurrency.
      expect(sweeper.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
    const writerTimeout = Math.max(
      ...QUEUE_FUNCTIONS.map(([fn]) => Number(lambda(fn)[1].Properties.Timeout)),
    );
    expect(writerTimeout).toBe(120);
    const minAge = (t: CfnTemplate) =>
      envOf(Object.values(t.Resources).find((r) => r.Properties.FunctionName === 'l2pop-dev-outbox-sweeper'))
        .L2POP_SWEEP_MIN_AGE_SECONDS;
    expect(minAge(template)).toBe('180');
    const config = loadConfig({
      AWS_REGION: 'eu-west-1',
      L2POP_TABLE_NAME: 't',
      L2POP_SWEEP_MIN_AGE_SECONDS: String(minAge(template)),
    });
    expect(config.sweepMinAgeSeconds).toBeGreaterThan(writerTimeout);
    expect(minAge(overridden)).toBe('600');
    // Only the sweeper reads it.
    for (const [fn] of QUEUE_FUNCTIONS)
      expect(envOf(lambda(fn)[1]).L2POP_SWEEP_MIN_AGE_SECONDS).toBeUndefined();
    // The agent queue lifecycle: gone after 24 h by default, a --param, read by the sweeper only.
    const goneAfter = (t: CfnTemplate) =>
      envOf(Object.values(t.Resources).find((r) => r.Properties.FunctionName === 'l2pop-dev-outbox-sweeper'))
        .L2POP_AGENT_GONE_AFTER_SECONDS;
    expect(goneAfter(template)).toBe('86400');
    expect(goneAfter(overridden)).toBe('3600');
    for (const [fn] of QUEUE_FUNCTIONS)
      expect(envOf(lambda(fn)[1]).L2POP_AGENT_GONE_AFTER_SECONDS).toBeUndefined();
  });

  it("gives every queue a visibility timeout of at least 6x its function's timeout", () => {
    for (const [fn, queueId] of QUEUE_FUNCTIONS) {
      const timeout = Number(lambda(fn)[1].Properties.Timeout);
      expect(timeout).toBeGreaterThan(0);
      expect(Number(queue(queueId).VisibilityTimeout)).toBeGreaterThanOrEqual(6 * timeout);
    }
  });

  it('makes every queue FIFO and SSE-encrypted, and redrives each inbound queue to a FIFO DLQ', () => {
    for (const [, q] of resources('AWS::SQS::Queue')) {
      expect(q.Properties.FifoQueue).toBe(true);
      expect(q.Properties.SqsManagedSseEnabled === true || q.Properties.KmsMasterKeyId !== undefined).toBe(
        true,
      );
    }
    for (const [, queueId] of QUEUE_FUNCTIONS) {
      const redrive = queue(queueId).RedrivePolicy as {
        deadLetterTargetArn: unknown;
        maxReceiveCount: number;
      };
      const dlq = queue(getAttId(redrive.deadLetterTargetArn) ?? '');
      expect(dlq.FifoQueue).toBe(true);
      expect(dlq.RedrivePolicy).toBeUndefined();
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(2);
    }
  });

  it('encrypts the table and keeps point-in-time recovery on', () => {
    const [[, table] = []] = resources('AWS::DynamoDB::Table');
    expect(table?.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table?.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // The index the sweeper's role names by its exact ARN.
    const indexes = table?.Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((i) => i.IndexName)).toContain(GSI1);
  });

  it('has no IAM wildcard but the two explained ones', () => {
    expect(findTemplateIamViolations(template, CONTROLLER_WILDCARDS)).toEqual([]);
  });

  it('fails the IAM check when a wildcard is slipped into the real template', () => {
    const broaden = (
      mutate: (statement: Record<string, unknown>) => void,
      roleId = 'PortEventsRole',
      sid = 'StateTable',
    ) => {
      const t = structuredClone(template);
      const role = t.Resources[roleId]?.Properties as {
        Policies: { PolicyDocument: { Statement: Record<string, unknown>[] } }[];
      };
      const statement = role.Policies[0]?.PolicyDocument.Statement.find((s) => s.Sid === sid);
      if (!statement) throw new Error(`no statement ${sid} in ${roleId}`);
      mutate(statement);
      return findTemplateIamViolations(t, CONTROLLER_WILDCARDS);
    };
    expect(broaden((s) => (s.Action = 'dynamodb:*'))).toHaveLength(1);
    expect(broaden((s) => (s.Resource = '*'))).toHaveLength(1);
    expect(
      broaden((s) => (s.Resource = { 'Fn::Join': ['', [renderValue(s.Resource), '/index/*']] })),
    ).toHaveLength(1);
    // The sweeper's index ARN is exact: `index/*` would be a wildcard no allowance explains.
    const anyIndex = (s: Record<string, unknown>) => (s.Resource = `${TABLE_ARN}/index/*`);
    expect(broaden(anyIndex, 'OutboxSweeperRole', 'PendingOutboxIndex')).toHaveLength(1);
    const anyLogGroup = (s: Record<string, unknown>) =>
      (s.Resource = { 'Fn::Join': ['', [renderValue(s.Resource).replace('-outbox-sweeper:*', '-*')]] });
    expect(broaden(anyLogGroup, 'OutboxSweeperRole', 'Logs')).toHaveLength(1);
    // Deleting queues is on the agent-queue prefix only: any queue of the account fails.
    const anyQueue = (s: Record<string, unknown>) => (s.Resource = `${ARN('sqs')}*`);
    expect(broaden(anyQueue, 'OutboxSweeperRole', 'AgentQueueLifecycle')).toHaveLength(1);
    const withDefaultRole = structuredClone(template);
    withDefaultRole.Resources.IamRoleLambdaExecution = {
      Type: 'AWS::IAM::Role',
      Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] },
    };
    expect(findTemplateIamViolations(withDefaultRole, CONTROLLER_WILDCARDS)).toHaveLength(1);
  });

  it('gives each function its own role with exactly the calls its code makes', () => {
    const roles = new Set<string>();
    for (const fn of ALL_FUNCTIONS) {
      const roleId = getAttId(lambda(fn)[1].Properties.Role) ?? '';
      roles.add(roleId);
      const role = template.Resources[roleId];
      expect(role?.Type).toBe('AWS::IAM::Role');
      const policies = (role?.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: Record<string, unknown>[] };
      }[];
      const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
      const actual = Object.fromEntries(
        statements.map((s) => [
          s.Sid,
          { actions: asList(s.Action).map(String).sort(), resources: asList(s.Resource).map(renderValue) },
        ]),
      );
      expect(actual, fn).toEqual(expectedStatements(fn));
    }
    expect(roles.size).toBe(ALL_FUNCTIONS.length);
    expect(resources('AWS::IAM::Role')).toHaveLength(ALL_FUNCTIONS.length);
  });

  it('grants the agent-queue prefix the functions use, and no queue of the stack matches it', () => {
    for (const fn of ALL_FUNCTIONS) {
      const env = envOf(lambda(fn)[1]);
      expect(renderValue(env.L2POP_AGENT_QUEUE_PREFIX)).toBe(`${STACK}-agent-cmd-`);
    }
    for (const [id, q] of resources('AWS::SQS::Queue'))
      expect(renderValue(q.Properties.QueueName), id).not.toMatch(/^\$\{AWS::StackName\}-agent-cmd-/);
  });

  it('passes only settings the config module knows, and they load with the documented defaults', async () => {
    const configSource = await readFile(path.join(ROOT, 'src/runtime/config.ts'), 'utf8');
    for (const fn of ALL_FUNCTIONS) {
      const vars = envOf(lambda(fn)[1]);
      const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, renderValue(v)]));
      for (const name of Object.keys(env).filter((k) => k.startsWith('L2POP_')))
        expect(configSource, name).toMatch(new RegExp(`\\b${name}\\b`));
      const config = loadConfig({ ...env, AWS_REGION: 'eu-west-1' });
      expect(config.defaultFlags).toEqual({
        defaultStrategy: 'tunnel',
        rollout: null,
        networks: {},
        routers: {},
      });
      expect(config.metricsNamespace).toBe(`L2Pop/${STACK}`);
      expect(config.tableName).toBe(`\${StateTable}`);
      expect(config.sweepMinAgeSeconds).toBe(180);
      expect(config.agentGoneAfterSeconds).toBe(86_400);
    }
  });

  it('takes strategy, rollout and alarm settings from --param, and notifies only a given topic', () => {
    const env = (t: CfnTemplate) => {
      return envOf(
        Object.values(t.Resources).find((r) => r.Properties.FunctionName === 'l2pop-dev-ha-events'),
      );
    };
    expect(env(overridden)).toMatchObject({ L2POP_DEFAULT_STRATEGY: 'auto', L2POP_ROLLOUT_PERCENT: '25' });
    const alarm = (t: CfnTemplate) => t.Resources.HaEventsOldestMessageAlarm?.Properties ?? {};
    expect(alarm(template).Threshold).toBe('300');
    expect(alarm(overridden).Threshold).toBe('120');
    const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';
    expect(overridden.Conditions?.HasAlarmTopic).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['none', topic] }] });
    expect(template.Conditions?.HasAlarmTopic).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['none', 'none'] }] });
    expect(alarm(overridden).AlarmActions).toEqual({
      'Fn::If': ['HasAlarmTopic', [topic], { Ref: 'AWS::NoValue' }],
    });
    const sweeperAlarm = (t: CfnTemplate) => t.Resources.OutboxSweeperErrorsAlarm?.Properties ?? {};
    expect(sweeperAlarm(template).Threshold).toBe('0');
    expect(sweeperAlarm(overridden).Threshold).toBe('2');
  });

  it('alarms on every DLQ, the oldest message of every inbound queue, rejects, split brain, failing drift repairs and sweeper errors', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const sqsAlarm = (metric: string, queueId: string) =>
      alarms.filter(
        (a) =>
          a.Namespace === 'AWS/SQS' &&
          a.MetricName === metric &&
          getAttId((a.Dimensions as { Value: unknown }[])[0]?.Value) === queueId,
      );
    for (const [, queueId] of QUEUE_FUNCTIONS) {
      const dlq = getAttId(
        (queue(queueId).RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn,
      );
      expect(sqsAlarm('ApproximateNumberOfMessagesVisible', dlq ?? '')).toHaveLength(1);
      expect(sqsAlarm('ApproximateAgeOfOldestMessage', queueId)).toHaveLength(1);
    }
    const namespace = renderValue(envOf(lambda('port-events')[1]).L2POP_METRICS_NAMESPACE);
    for (const metric of [
      'SUM(Rejected)',
      'SUM(SplitBrain)',
      'SUM(VipFrozen)',
      'MAX(OldestOutboxAgeSeconds)',
      'SUM(DriftRepairFailing)',
    ]) {
      const queries = alarms.flatMap((a) => asList(a.Metrics) as { Expression?: unknown }[]);
      expect(queries.map((q) => q.Expression && renderValue(q.Expression))).toContain(
        `SELECT ${metric} FROM "${namespace}"`,
      );
    }
    // Any failed sweeper invocation: its OutboxSweepFailures, and failures that metric cannot see.
    const [sweeperId] = lambda('outbox-sweeper');
    const sweeperAlarms = alarms.filter(
      (a) =>
        a.Namespace === 'AWS/Lambda' &&
        a.MetricName === 'Errors' &&
        JSON.stringify(a.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: { Ref: sweeperId } }]),
    );
    expect(sweeperAlarms).toHaveLength(1);
    expect(sweeperAlarms[0]).toMatchObject({
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: { 'Fn::If': ['HasAlarmTopic', ['none'], { Ref: 'AWS::NoValue' }] },
    });
    for (const a of alarms) expect(Number.isFinite(Number(a.Threshold))).toBe(true);
  });

  it("alarms on the functions' errors and throttles and on transient failures", () => {
    const alarms = Object.fromEntries(resources('AWS::CloudWatch::Alarm'));
    const fnRefs = (id: string, metric: string) =>
      (asList(alarms[id]?.Properties.Metrics) as { MetricStat?: { Metric: Record<string, unknown> } }[])
        .flatMap((m) => (m.MetricStat?.Metric.MetricName === metric ? [m.MetricStat.Metric] : []))
        .map((m) => (m.Dimensions as { Value: { Ref: string } }[])[0]?.Value.Ref);
    const queueFns = QUEUE_FUNCTIONS.map(([fn]) => lambda(fn)[0]).sort();
    expect(fnRefs('QueueFunctionErrorsAlarm', 'Errors').sort()).toEqual(queueFns);
    expect(fnRefs('FunctionThrottlesAlarm', 'Throttles').sort()).toEqual(
      ALL_FUNCTIONS.map((fn) => lambda(fn)[0]).sort(),
    );
    const namespace = renderValue(envOf(lambda('port-events')[1]).L2POP_METRICS_NAMESPACE);
    const transient = asList(alarms.TransientFailuresAlarm?.Properties.Metrics) as { Expression: unknown }[];
    expect(renderValue(transient[0]?.Expression)).toBe(`SELECT SUM(TransientFailures) FROM "${namespace}"`);
  });

  it('traces every function with X-Ray', () => {
    for (const fn of ALL_FUNCTIONS)
      expect(lambda(fn)[1].Properties.TracingConfig, fn).toEqual({ Mode: 'Active' });
  });

  it('has an operations dashboard split by strategy, on the metrics the functions emit', async () => {
    const dashboards = resources('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const dashboard = dashboards[0]?.[1];
    const body = JSON.parse(renderValue(dashboard?.Properties.DashboardBody)) as {
      widgets: { properties: { title: string; metrics: unknown[][] } }[];
    };
    const titles = body.widgets.map((w) => w.properties.title).join('\n');
    for (const t of [
      'Failover convergence p50',
      'Failover convergence p99',
      'Commands per event',
      'Rejections by reason',
      'Transient failures',
      'Dead-letter queue depth',
      'Outbox age',
      'DynamoDB consumed capacity',
    ])
      expect(titles).toContain(t);
    const text = JSON.stringify(body);
    expect(text).toContain('GROUP BY strategy');
    for (const stat of ['"stat":"p50"', '"stat":"p99"']) expect(text).toContain(stat);
    // every custom metric the dashboard reads is one the code emits
    const sources = (
      await Promise.all(
        ['src/runtime/observe.ts', 'src/runtime/outbox-sweep.ts'].map((f) =>
          readFile(path.join(ROOT, f), 'utf8'),
        ),
      )
    ).join('\n');
    const namespace = renderValue(envOf(lambda('port-events')[1]).L2POP_METRICS_NAMESPACE);
    const custom = new Set<string>();
    for (const w of body.widgets)
      for (const m of w.properties.metrics) {
        if (m[0] === namespace) custom.add(String(m[1]));
        const e = (m[0] as { expression?: string }).expression;
        for (const x of e?.matchAll(/(?:SUM|AVG|MAX)\((\w+)\)/g) ?? []) custom.add(String(x[1]));
      }
    expect(custom.size).toBeGreaterThan(5);
    // Convergence is per failover (the last affected agent's apply), and outbox age is an age.
    expect(custom).toContain('FailoverConvergenceMs');
    expect(custom).toContain('OldestOutboxAgeSeconds');
    expect(custom).not.toContain('ApplyLatencyMs');
    for (const metric of custom) expect(sources, metric).toMatch(new RegExp(`\\b${metric}\\b`));
    // DynamoDB capacity is the state table's own metrics (the functions ship without a meter)
    expect(custom).not.toContain('DynamoWriteUnits');
    const table = (stat: string) =>
      body.widgets
        .flatMap((w) => w.properties.metrics)
        .filter((m) => m[0] === 'AWS/DynamoDB' && m[1] === stat)
        .map((m) => [m[2], m[3]]);
    for (const stat of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits'])
      expect(table(stat), stat).toEqual([['TableName', renderValue({ Ref: 'StateTable' })]]);
    expect(resources('AWS::DynamoDB::Table').map(([id]) => id)).toContain('StateTable');
  });

  it('lets the deployer policy create every kind of resource the template holds', async () => {
    // The action CloudFormation calls to create each resource type (the AWS resource type
    // reference's "create" handler permissions, the one that names the type's own service).
    const CREATE_ACTION: Record<string, string[]> = {
      'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm'],
      'AWS::CloudWatch::Dashboard': ['cloudwatch:PutDashboard'],
      'AWS::DynamoDB::Table': ['dynamodb:CreateTable'],
      'AWS::Events::Rule': ['events:PutRule', 'events:PutTargets'],
      'AWS::IAM::Role': ['iam:CreateRole', 'iam:PutRolePolicy'],
      'AWS::Lambda::EventSourceMapping': ['lambda:CreateEventSourceMapping'],
      'AWS::Lambda::Function': ['lambda:CreateFunction'],
      'AWS::Lambda::Permission': ['lambda:AddPermission'],
      'AWS::Lambda::Version': ['lambda:PublishVersion'],
      'AWS::Logs::LogGroup': ['logs:CreateLogGroup'],
      'AWS::S3::Bucket': ['s3:CreateBucket'],
      'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy'],
      'AWS::SQS::Queue': ['sqs:CreateQueue'],
    };
    const policy = JSON.parse(await readFile(path.join(ROOT, 'infra/deployer-policy.json'), 'utf8')) as {
      Statement: { Action: string | string[] }[];
    };
    const allowed = new Set(policy.Statement.flatMap((s) => [s.Action].flat()));
    const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
    const unknown = types.filter((t) => !CREATE_ACTION[t]);
    expect(unknown, 'a new resource type: add its create action here and to the deployer policy').toEqual([]);
    const missing = types.flatMap((t) =>
      (CREATE_ACTION[t] ?? []).filter((a) => !allowed.has(a)).map((a) => `${t}: ${a}`),
    );
    expect(missing).toEqual([]);
  });

  it('has every output the CLI reads of a deployed stack', () => {
    for (const key of Object.keys(OUTPUT_KEYS)) expect(template.Outputs?.[key], key).toBeDefined();
  });

  it('deploys byte for byte the bundles the local poller and the tests run, with source maps', async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), 'l2pop-build-'));
    try {
      const built = await buildFunctions({ outdir });
      // Every bundle of functions/ is deployed, and nothing else.
      expect([...pkg.artifacts.keys()].sort()).toEqual(built.map((b) => b.name).sort());
      expect(built.map((b) => b.name).sort()).toEqual([...ALL_FUNCTIONS].sort());
      for (const b of built) {
        const files = pkg.artifacts.get(b.name);
        expect(files?.get(`functions/${b.name}.mjs`)?.equals(await readFile(b.file))).toBe(true);
        expect(files?.has(`functions/${b.name}.mjs.map`)).toBe(true);
        expect([...(files?.keys() ?? [])].some((f) => f.includes('node_modules'))).toBe(false);
      }
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
