/**
 * The least-privilege check of the packaging test: every `Allow` statement in the template's IAM
 * and resource policies names its actions and resources exactly. A `*` or `?` in an action always
 * fails; in a resource it fails unless the whole rendered ARN matches one of the allowances, each
 * of which says why AWS offers nothing narrower. `NotAction`, `NotResource`, managed policies and
 * intrinsics it cannot render fail too: what cannot be read cannot be shown to be narrow.
 * `Deny` statements only take access away, so their wildcards are fine.
 */

export interface WildcardAllowance {
  /** Matched against the whole rendered resource (`${AWS::Region}` for `Ref: AWS::Region`). */
  readonly pattern: RegExp;
  readonly why: string;
  /** When set, the allowance holds only for a statement whose every action is one of these. */
  readonly onlyActions?: readonly string[];
}

export interface PolicyViolation {
  /** Resource logical id, policy and statement. */
  readonly where: string;
  readonly problem: string;
}

/** `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:` as a regex source. */
const arnOf = (service: string) =>
  `arn:\\$\\{AWS::Partition\\}:${service}:\\$\\{AWS::Region\\}:\\$\\{AWS::AccountId\\}:`;

/** The wildcards the controller's roles keep (infra/roles.yml), and why. */
export const CONTROLLER_WILDCARDS: readonly WildcardAllowance[] = [
  {
    pattern: new RegExp(`^${arnOf('sqs')}\\$\\{AWS::StackName\\}-agent-cmd-\\*\\.fifo$`),
    why: 'agent command queues are created per host at run time; the name pattern is the only handle',
  },
  {
    pattern: new RegExp(
      `^${arnOf('logs')}log-group:/aws/lambda/\\$\\{AWS::StackName\\}-(?:[a-z]+-events|outbox-sweeper):\\*$`,
    ),
    why: "Lambda names its log streams; `:*` is the streams of the function's own log group",
  },
  {
    pattern: /^\*$/,
    onlyActions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    why: 'X-Ray has no resource-level permissions: its two write actions accept only `*` (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html)',
  },
  {
    pattern: /^\*$/,
    onlyActions: ['sqs:ListQueues'],
    why: 'sqs:ListQueues is a list action with no resource type: IAM evaluates it against `*` only (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html); the agent queue sweep lists by the stack prefix, and acts on queues only on the agent-queue pattern',
  },
];

type Json = unknown;

class UnreadableError extends Error {
  override readonly name = 'UnreadableError';
}

/**
 * A CloudFormation value as text: `Ref: X` -> `${X}`, `Fn::GetAtt: [A, B]` -> `${A.B}`, `Fn::Join`
 * joined, `Fn::Sub` as written. Any other intrinsic (Fn::If, Fn::Select, ...) is unreadable.
 */
export function renderValue(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UnreadableError(`not a string: ${JSON.stringify(value)}`);
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length !== 1) throw new UnreadableError(`not an intrinsic: ${JSON.stringify(value)}`);
  if (key === 'Ref' && typeof arg === 'string') return `\${${arg}}`;
  if (key === 'Fn::GetAtt') {
    const parts = typeof arg === 'string' ? arg.split('.') : arg;
    if (Array.isArray(parts) && parts.length === 2) return `\${${parts.join('.')}}`;
  }
  if (key === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1]))
    return (arg[1] as Json[]).map(renderValue).join(arg[0]);
  if (key === 'Fn::Sub' && typeof arg === 'string') return arg;
  throw new UnreadableError(`cannot render ${key}: ${JSON.stringify(arg)}`);
}

const asList = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const hasWildcard = (s: string) => /[*?]/.test(s);

function isPublicPrincipal(principal: Json): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return Object.values(principal).some((p) => asList(p).includes('*'));
}

function checkStatement(
  statement: Json,
  where: string,
  allowances: readonly WildcardAllowance[],
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const fail = (problem: string) => out.push({ where, problem });
  if (typeof statement !== 'object' || statement === null) return [{ where, problem: 'not a statement' }];
  const s = statement as Record<string, Json>;
  if (s.Effect === 'Deny') return [];
  if (s.Effect !== 'Allow') return [{ where, problem: `Effect ${JSON.stringify(s.Effect)}` }];
  if ('NotAction' in s) fail('NotAction allows every other action');
  if ('NotResource' in s) fail('NotResource allows every other resource');
  if (isPublicPrincipal(s.Principal)) fail('Principal * allows anyone');
  const actions = asList(s.Action);
  if (actions.length === 0) fail('no Action');
  for (const a of actions) {
    if (typeof a !== 'string') fail(`action ${JSON.stringify(a)} is not a literal`);
    else if (hasWildcard(a)) fail(`action ${a} is a wildcard`);
    else if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(a)) fail(`action ${a} is not service:Action`);
  }
  // A resource policy names its resource by where it is attached; an identity policy must name it.
  if (!('Principal' in s) && asList(s.Resource).length === 0) fail('no Resource');
  for (const r of asList(s.Resource)) {
    let arn: string;
    try {
      arn = renderValue(r);
    } catch (err) {
      fail(`resource cannot be checked: ${(err as Error).message}`);
      continue;
    }
    const allowed = allowances.some(
      (w) =>
        w.pattern.test(arn) && (!w.onlyActions || actions.every((a) => w.onlyActions?.includes(String(a)))),
    );
    if (hasWildcard(arn) && !allowed) fail(`resource ${arn} has a wildcard no allowance explains`);
  }
  return out;
}

/** Violations in one policy document (`Statement` may be one statement or a list). */
export function findPolicyViolations(
  document: Json,
  where: string,
  allowances: readonly WildcardAllowance[] = [],
): PolicyViolation[] {
  const statements = asList((document as { Statement?: Json } | null)?.Statement);
  if (statements.length === 0) return [{ where, problem: 'no Statement' }];
  return statements.flatMap((st, i) => {
    const sid = (st as { Sid?: string } | null)?.Sid;
    return checkStatement(st, `${where} statement ${sid ?? i}`, allowances);
  });
}

const POLICY_RESOURCES = new Set([
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
]);

/** Every IAM role, identity policy and resource policy of a CloudFormation template. */
export function findTemplateIamViolations(
  template: Json,
  allowances: readonly WildcardAllowance[] = [],
): PolicyViolation[] {
  const resources = (template as { Resources?: Record<string, Json> } | null)?.Resources ?? {};
  const out: PolicyViolation[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const { Type, Properties = {} } = resource as { Type: string; Properties?: Record<string, Json> };
    if (Type === 'AWS::IAM::Role') {
      if (asList(Properties.ManagedPolicyArns).length > 0)
        out.push({ where: id, problem: 'managed policies cannot be checked here' });
      for (const p of asList(Properties.Policies) as { PolicyName?: string; PolicyDocument?: Json }[])
        out.push(...findPolicyViolations(p.PolicyDocument, `${id} policy ${p.PolicyName}`, allowances));
    } else if (POLICY_RESOURCES.has(Type)) {
      out.push(...findPolicyViolations(Properties.PolicyDocument, id, allowances));
    }
  }
  return out;
}
