import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The one part of AWS with no local server here: CloudFormation's DescribeStacks (awsQuery: a
 * form-encoded POST, an XML answer). It answers for one stack with the Outputs it is given, and
 * records each request's Authorization header, so a test can see which credentials the SDK
 * resolved and that it signed with them. Everything else the CLI calls is the real local stack.
 */
export async function startFakeCloudFormation(stackName: string, outputs: Readonly<Record<string, string>>) {
  const authorizations: string[] = [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => void (body += d));
    req.on('end', () => {
      authorizations.push(String(req.headers.authorization ?? ''));
      const form = new URLSearchParams(body);
      res.setHeader('content-type', 'text/xml');
      if (form.get('Action') !== 'DescribeStacks' || form.get('StackName') !== stackName) {
        res.statusCode = 400;
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${esc(form.get('StackName') ?? '')} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs)
        .map(
          ([k, v]) => `<member><OutputKey>${esc(k)}</OutputKey><OutputValue>${esc(v)}</OutputValue></member>`,
        )
        .join('');
      res.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${esc(stackName)}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A template Output value resolved as CloudFormation would on this stack: `Ref` of a resource is
 * its physical id (a queue's URL, a table's name), `Ref: AWS::StackName` the stack name,
 * `Fn::Join` the joined parts; a string (a serverless `${param:...}` already resolved) itself.
 */
export function resolveOutput(
  value: unknown,
  stackName: string,
  physicalIds: Readonly<Record<string, string>>,
): string {
  if (typeof value === 'string') return value;
  const o = (value ?? {}) as Record<string, unknown>;
  if (o.Ref === 'AWS::StackName') return stackName;
  if (typeof o.Ref === 'string') {
    const id = physicalIds[o.Ref];
    if (id === undefined) throw new Error(`no physical id for ${o.Ref}`);
    return id;
  }
  const join = o['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((p) => resolveOutput(p, stackName, physicalIds)).join(join[0]);
  throw new Error(`cannot resolve output ${JSON.stringify(value)}`);
}
