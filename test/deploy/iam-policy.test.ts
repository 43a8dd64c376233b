import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build.mjs';
import { agentQueueName } from '../../src/adapters/aws/agent-queues.js';
import {
  CONTROLLER_WILDCARDS,
  findPolicyViolations,
  findTemplateIamViolations,
  renderValue,
} from './iam-policy.js';

const TABLE = { 'Fn::GetAtt': ['StateTable', 'Arn'] };
const STACK = { Ref: 'AWS::StackName' };
/** `arn:<partition>:<service>:<region>:<account>:` followed by `parts`, as CloudFormation writes it. */
const arn = (service: string, ...parts: unknown[]) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':',
      ...parts,
    ],
  ],
});
const allow = (Action: unknown, Resource: unknown, extra: object = {}) => ({
  Statement: [{ Effect: 'Allow', Action, Resource, ...extra }],
});
const problems = (doc: unknown) =>
  findPolicyViolations(doc, 'test', CONTROLLER_WILDCARDS).map((v) => v.problem);

describe('the IAM checker', () => {
  it('renders Ref, GetAtt and Join to text', () => {
    expect(renderValue(arn('sqs', STACK, '-agent-cmd-*.fifo'))).toBe(
      `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:\${AWS::StackName}-agent-cmd-*.fifo`,
    );
    expect(renderValue(TABLE)).toBe(`\${StateTable.Arn}`);
  });

  it('accepts exact actions on exact resources', () => {
    expect(problems(allow(['dynamodb:GetItem', 'dynamodb:Query'], TABLE))).toEqual([]);
  });

  it.each(['*', 'sqs:*', 'sqs:Send*', 'dynamodb:Get?tem'])('fails on the wildcard action %s', (action) => {
    expect(problems(allow(['dynamodb:GetItem', action], TABLE))).toEqual([`action ${action} is a wildcard`]);
  });

  it('fails on a `*` resource, literal or built with Fn::Join', () => {
    expect(problems(allow('dynamodb:GetItem', '*'))).toEqual([
      'resource * has a wildcard no allowance explains',
    ]);
    expect(problems(allow('sqs:SendMessage', arn('sqs', STACK, '-*')))).toHaveLength(1);
  });

  it('keeps only the two explained wildcards, exactly as written', () => {
    expect(problems(allow('sqs:SendMessage', arn('sqs', STACK, '-agent-cmd-*.fifo')))).toEqual([]);
    const logGroup = (...parts: unknown[]) => arn('logs', 'log-group:/aws/lambda/', ...parts);
    expect(problems(allow('logs:PutLogEvents', logGroup(STACK, '-ha-events:*')))).toEqual([]);
    expect(problems(allow('logs:PutLogEvents', logGroup(STACK, '-outbox-sweeper:*')))).toEqual([]);
    for (const broader of [
      arn('sqs', STACK, '-agent-*'),
      arn('sqs', STACK, '-agent-cmd-*'),
      arn('sqs', '*'),
      logGroup('*'),
      logGroup(STACK, '-*'),
      logGroup(STACK, '-outbox-*:*'),
      logGroup(STACK, '-*-sweeper:*'),
      arn('logs', 'log-group:*'),
    ])
      expect(problems(allow('sqs:SendMessage', broader))).toHaveLength(1);
  });

  it('accepts `*` for sqs:ListQueues alone (it has no resource type), and for no other SQS action', () => {
    expect(problems(allow('sqs:ListQueues', '*'))).toEqual([]);
    expect(problems(allow(['sqs:ListQueues', 'sqs:DeleteQueue'], '*'))).toEqual([
      'resource * has a wildcard no allowance explains',
    ]);
    for (const action of [
      'sqs:ListQueueTags',
      'sqs:DeleteQueue',
      'sqs:SendMessage',
      'sqs:ListDeadLetterSourceQueues',
    ])
      expect(problems(allow(action, '*')), action).toHaveLength(1);
    // On a queue ARN it is not a violation either, only useless; the template grants it on `*`.
    expect(problems(allow('sqs:ListQueues', arn('sqs', STACK, '-agent-cmd-*.fifo')))).toEqual([]);
  });

  it('fails on NotAction, NotResource, a public principal and an unreadable resource', () => {
    expect(problems({ Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: TABLE }] })).toContain(
      'NotAction allows every other action',
    );
    expect(
      problems({ Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', NotResource: TABLE }] }),
    ).toContain('NotResource allows every other resource');
    expect(problems(allow('sqs:SendMessage', TABLE, { Principal: { AWS: '*' } }))).toContain(
      'Principal * allows anyone',
    );
    expect(problems(allow('dynamodb:GetItem', { 'Fn::If': ['C', '*', TABLE] }))[0]).toMatch(
      /^resource cannot be checked/,
    );
  });

  it('lets Deny statements be broad: they only take access away', () => {
    expect(
      problems({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }] }),
    ).toEqual([]);
  });

  it('finds wildcards in roles, managed policies and policy resources of a template', () => {
    const template = {
      Resources: {
        Good: {
          Type: 'AWS::IAM::Role',
          Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: allow('dynamodb:GetItem', TABLE) }] },
        },
        Managed: {
          Type: 'AWS::IAM::Role',
          Properties: { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] },
        },
        Extra: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: allow('s3:*', '*') } },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      },
    };
    expect(findTemplateIamViolations(template, CONTROLLER_WILDCARDS)).toEqual([
      { where: 'Managed', problem: 'managed policies cannot be checked here' },
      { where: 'Extra statement 0', problem: 'action s3:* is a wildcard' },
      { where: 'Extra statement 0', problem: 'resource * has a wildcard no allowance explains' },
    ]);
  });
});

/** Fills `${Name}` placeholders the way `Fn::Sub` or the docs' sed would. */
function fill(text: string, values: Record<string, string>): unknown {
  const filled = text.replace(/\$\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
  expect(filled).not.toMatch(/\$\{\w+\}/);
  return JSON.parse(filled);
}

describe('the policy templates in infra/', () => {
  const values = {
    Partition: 'aws',
    Region: 'eu-west-1',
    AccountId: '123456789012',
    StackName: 'l2pop-prod',
  };

  it('lets an agent read only its own queue and send only events (no wildcard at all)', async () => {
    const host = 'compute-7.example.net';
    const queue = agentQueueName(`${values.StackName}-agent-cmd-`, host);
    const policy = fill(await readFile(path.join(ROOT, 'infra/agent-policy.json'), 'utf8'), {
      ...values,
      AgentQueueName: queue,
    }) as { Statement: { Action: string[]; Resource: string }[] };
    expect(findPolicyViolations(policy, 'agent-policy')).toEqual([]);
    const base = 'arn:aws:sqs:eu-west-1:123456789012:';
    // The host has dots: its queue name carries a hash of the host, so no other host shares it.
    expect(queue).toMatch(/^l2pop-prod-agent-cmd-compute-7_example_net_[0-9a-f]{12}\.fifo$/);
    expect(queue).not.toBe(agentQueueName(`${values.StackName}-agent-cmd-`, 'compute-7_example_net'));
    expect(policy.Statement.map((s) => [s.Resource, s.Action.sort()])).toEqual([
      [`${base}${queue}`, ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']],
      [`${base}l2pop-prod-agent-events.fifo`, ['sqs:SendMessage']],
      [`${base}l2pop-prod-ha-events.fifo`, ['sqs:SendMessage']],
    ]);
  });

  it('scopes the deployer policy to the stack, except the two calls that have no resource', async () => {
    const policy = fill(await readFile(path.join(ROOT, 'infra/deployer-policy.json'), 'utf8'), values) as {
      Statement: { Sid: string; Resource: string; Condition?: unknown }[];
    };
    const stackScoped = [
      // The stack name, whole, comes before the first wildcard.
      { pattern: /^arn:aws:[^*]*[:/]l2pop-prod[-/]/, why: 'named after the stack' },
      { pattern: /^arn:aws:logs:eu-west-1:123456789012:log-group:\*$/, why: 'DescribeLogGroups' },
    ];
    const violations = findPolicyViolations(policy, 'deployer', stackScoped);
    expect(violations.map((v) => v.where)).toEqual([
      'deployer statement TemplateValidationHasNoResource',
      'deployer statement EventSourceMappingsOfTheStackFunctions',
    ]);
    const esm = policy.Statement.find((s) => s.Sid === 'EventSourceMappingsOfTheStackFunctions');
    expect(esm?.Condition).toEqual({
      ArnLike: { 'lambda:FunctionArn': 'arn:aws:lambda:eu-west-1:123456789012:function:l2pop-prod-*' },
    });
  });
});
