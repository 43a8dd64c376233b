import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStateFile } from '../../src/cli/agent-state-file.js';
import { resourceNames } from '../../src/cli/resource-names.js';
import { buildDefaultScenario } from '../../tools/sim/default-scenario.js';
import { packageService } from '../deploy/package-service.js';
import { type Finished, l2pop, startCli } from './cli-process.js';
import { resolveOutput, startFakeCloudFormation } from './fake-cloudformation.js';

let dir: string;
let stackFile: string;
let stack: { child: ChildProcess; output: () => { stdout: string; stderr: string } };

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const target = () => ['--stack-file', stackFile];

/** Polls `fdb HOST` until the agent matches the controller and the output shows `expected`. */
async function fdbUntilEqual(host: string, expected: RegExp): Promise<Finished> {
  return until(`${host} to match the controller with ${expected}`, async () => {
    const r = await l2pop(['fdb', host, ...target()]);
    return r.code === 0 && expected.test(r.stdout) ? r : undefined;
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'l2pop-stack-'));
  stackFile = path.join(dir, 'stack.json');
  // INFO: the functions' and the agents' log lines on stdout, for the correlation-id test
  stack = startCli(['stack', 'up', '--agents', 'default', '--stack-file', stackFile, '--log-level', 'INFO']);
  await until('the stack file', async () => (existsSync(stackFile) ? true : undefined), 60_000);
}, 90_000);

afterAll(async () => {
  if (stack.child.exitCode === null) stack.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('l2pop stack up, send, fdb and flags on a running local stack', () => {
  it('prints its endpoints and queue URLs and writes them to the state file', async () => {
    const state = JSON.parse(await readFile(stackFile, 'utf8'));
    const out = stack.output().stdout;
    expect(out).toContain(`DynamoDB   ${state.endpoints.dynamo}`);
    for (const q of ['PortEventsQueue', 'HaEventsQueue', 'AgentEventsQueue'])
      expect(out).toContain(state.queues[q]);
    expect(state).toMatchObject({
      stackName: 'l2pop-local',
      defaultStrategy: 'tunnel',
      agentStateDir: path.join(dir, 'agents'),
    });
  });

  it('sends events that the functions apply and the agents hold exactly as the controller intends', async () => {
    const phases = buildDefaultScenario('tunnel').phases.filter(
      (p) => p.name === 'HA router' || p.name === 'VM boots',
    );
    const file = path.join(dir, 'events.json');
    await writeFile(file, JSON.stringify(phases.flatMap((p) => p.events)));
    const sent = await l2pop(['send', file, ...target()]);
    expect(sent.stderr).toBe(
      'sent 31 events to l2pop-local (25 PortEventsQueue, 6 HaEventsQueue, 0 AgentEventsQueue)\n',
    );
    expect(sent).toMatchObject({ code: 0 });
    // one line per event with what the controller did with it
    expect(sent.stdout.trim().split('\n')).toHaveLength(31);
    expect(sent.stdout).toMatch(
      /^ {3}1 ha\.schedule {3}applied {3}router r1 on net1, net2 {2}\[[0-9a-f-]{36}\]$/m,
    );
    // vm-a2 and vm-b2 run on compute2: it is in net-a and net-b
    const fdb = await fdbUntilEqual('compute2', /network net-a:[\s\S]*network net-b:/);
    expect(fdb.stdout).toMatch(/network net-a: controller sent version (\d+), agent holds \1\n/);
    expect(fdb.stdout).toMatch(/198\.51\.100\.21\s+00:00:00:00:00:00\s+0\.0\.0\.0/);
    expect(fdb.stdout).not.toMatch(/^\s+[+-] /m);
  }, 60_000);

  it('highlights an agent that does not hold what the controller intends, and exits 1', async () => {
    const file = path.join(dir, 'agents', 'compute2.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as AgentStateFile;
    const table = { ...state.networks['net-a']?.table } as Record<string, [string, string][]>;
    // a VTEP with a VM behind it: drop its unicast entry, and add one nobody intends
    const ip = Object.keys(table).find((k) => (table[k]?.length ?? 0) > 1) ?? '';
    const dropped = table[ip]?.pop() ?? ['', ''];
    table['192.0.2.99'] = [['fa:16:3e:99:99:99', '10.1.0.99']];
    const net = { version: state.networks['net-a']?.version ?? 0, table };
    await writeFile(file, JSON.stringify({ ...state, networks: { ...state.networks, 'net-a': net } }));
    expect(ip).not.toBe('');
    const r = await l2pop(['fdb', 'compute2', ...target()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`+ ${ip.padEnd(16)} ${dropped[0]}  ${dropped[1]}  (intended, agent lacks it)`);
    expect(r.stdout).toContain(
      `- ${'192.0.2.99'.padEnd(16)} fa:16:3e:99:99:99  10.1.0.99  (agent holds it, not intended)`,
    );
    expect(r.stderr).toContain('compute2 differs from what the controller intends');
  }, 30_000);

  it('reads the flags and changes a router through a real flags.set, which the agents follow', async () => {
    const before = await l2pop(['flags', 'get', '--json', ...target()]);
    expect(JSON.parse(before.stdout)).toMatchObject({
      revision: 0,
      flags: { defaultStrategy: 'tunnel', routers: {} },
    });
    const set = await l2pop(['flags', 'set', '--router', 'r1=master-binding', ...target()]);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('recorded: revision 1');
    const got = await l2pop(['flags', 'get', '--router', 'r1', '--network', 'net-a', ...target()]);
    expect(got.stdout).toContain('router r1  master-binding');
    expect(got.stdout).toContain('router r1 resolves to master-binding (from the router setting)');
    // master-binding gives every agent a unicast + ARP entry for the router port, on the master
    await fdbUntilEqual('compute4', /198\.51\.100\.21\s+fa:16:3e:ff:00:01\s+10\.1\.0\.1/);
    await fdbUntilEqual('compute2', /198\.51\.100\.21\s+fa:16:3e:ff:00:01\s+10\.1\.0\.1/);
  }, 60_000);
});

describe('the deployed-stack code path (CloudFormation outputs, default credential chain) on the local stack', () => {
  let cfn: Awaited<ReturnType<typeof startFakeCloudFormation>>;
  let env: Record<string, string | undefined>;
  let deployed: string[];
  const run = (args: readonly string[]) => l2pop([...args, ...deployed], 120_000, env);

  beforeAll(async () => {
    const state = JSON.parse(await readFile(stackFile, 'utf8'));
    // the packaged template's Outputs, resolved as CloudFormation would on this stack
    const { template } = await packageService();
    const names = await resourceNames(state.stackName);
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: state.endpoints.sqs,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const ids: Record<string, string> = {};
    for (const id of Object.keys(template.Resources)) ids[id] = `${state.stackName}-${id}`;
    for (const [id, name] of Object.entries(names))
      ids[id] =
        id === 'StateTable'
          ? name
          : ((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '');
    sqs.destroy();
    const outputs = Object.fromEntries(
      Object.entries(template.Outputs ?? {}).map(([k, v]) => [
        k,
        resolveOutput(v.Value, state.stackName, ids),
      ]),
    );
    cfn = await startFakeCloudFormation(state.stackName, outputs);
    // real credential resolution: a profile in temp shared files, no key in the environment
    await writeFile(
      path.join(dir, 'credentials'),
      '[ops]\naws_access_key_id = AKIAOPSTEST\naws_secret_access_key = opssecret\n',
    );
    await writeFile(path.join(dir, 'config'), '[profile ops]\nregion = eu-west-3\n');
    env = {
      ...process.env,
      AWS_PROFILE: 'ops',
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
    ])
      delete env[k];
    deployed = [
      '--stack-name',
      state.stackName,
      '--region',
      'us-east-1',
      '--cloudformation-endpoint',
      cfn.endpoint,
      '--sqs-endpoint',
      state.endpoints.sqs,
      '--dynamo-endpoint',
      state.endpoints.dynamo,
      '--stack-file',
      path.join(dir, 'none.json'),
    ];
  }, 120_000);

  afterAll(async () => cfn?.close());

  it('reads the stack outputs from CloudFormation, signed with the profile the SDK resolved', async () => {
    const r = await run(['flags', 'get', '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ revision: 1, flags: { routers: { r1: 'master-binding' } } });
    expect(cfn.authorizations.at(-1)).toMatch(/Credential=AKIAOPSTEST\/\d{8}\/us-east-1\/cloudformation\//);
  });

  it('shows every agent converged in status, with its last drift audit, the HA routers, their masters and the DLQs', async () => {
    // the agents of `stack up` audit every 5 s: compute2's last audit matches what it was sent
    const r = await until('status to show every agent converged and compute2 audited', async () => {
      const s = await run(['status']);
      return s.code === 0 && /compute2 .* audit match/.test(s.stdout) ? s : undefined;
    });
    expect(r.stdout).toMatch(
      /^ {2}ok {5}compute2 +last apply \d+ (ms|s) ago +audit match \d+ (ms|s) ago\n {6}net-a +holds (\d+) of \3\n/m,
    );
    expect(r.stdout).toMatch(/^ {2}r1 +master net1 {2}hosts net1, net2$/m);
    expect(r.stdout).toContain('dead-letter queues: PortEvents 0, HaEvents 0, AgentEvents 0');
  }, 60_000);

  it('measures a master-binding failover from the HA report to the last affected agent applying it', async () => {
    // r1 is master-binding since the flags.set above: moving its master sends every agent of its
    // networks a delta, and their agent.applied reports close the failover (FailoverConvergenceMs).
    const file = path.join(dir, 'failover.json');
    await writeFile(
      file,
      JSON.stringify([
        { type: 'ha.state', v: 1, routerId: 'r1', host: 'net2', state: 'active', term: 1, seq: 50 },
        { type: 'ha.state', v: 1, routerId: 'r1', host: 'net1', state: 'standby', term: 1, seq: 51 },
      ]),
    );
    const sent = await run(['send', file]);
    expect(sent.code).toBe(0);
    const converged = await until('a failover to converge at every affected agent', async () => {
      const lines = stack
        .output()
        .stdout.split('\n')
        .filter((l) => l.includes('failover converged: every affected agent applied it'));
      return lines.length > 0 ? lines.map((l) => JSON.parse(l) as Record<string, unknown>) : undefined;
    });
    expect(converged[0]).toMatchObject({
      service: 'agent-events',
      strategy: 'master-binding',
      convergenceMs: expect.any(Number),
      failoverCorrelationId: expect.any(String),
    });
    const s = await run(['status']);
    expect(s.stdout).toMatch(/^ {2}r1 +master net2 /m);
  }, 60_000);

  it('switches one router to master-binding and waits until every agent of its network holds it', async () => {
    const r = await run(['flags', 'set', '--router', 'r2=master-binding']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('recorded: revision 2');
    expect(r.stderr).toMatch(/converged: \d+ agents hold the new view of 1 HA networks/);
    const s = await run(['status', '--network', 'net-c']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^ {6}net-c +master-binding$/m);
  }, 120_000);

  it('rolls auto out to 10% of routers', async () => {
    const r = await run(['flags', 'set', '--rollout', '10', '--rollout-strategy', 'auto']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rollout           10% of routers -> auto');
  }, 120_000);

  it('refuses to overwrite a revision another operator is setting, and names them', async () => {
    const state = JSON.parse(await readFile(stackFile, 'utf8'));
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: state.endpoints.dynamo,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    const key = { pk: 'FLAGS', sk: 'CLAIM' };
    // another operator claimed the next revision and has not sent it yet
    await doc.send(
      new PutCommand({
        TableName: state.tableName,
        Item: { ...key, revision: 4, claimedBy: 'alice@ops', claimedAt: new Date().toISOString() },
      }),
    );
    const r = await run(['flags', 'set', '--router', 'r1=tunnel']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('flags revision 4 is being set by alice@ops');
    const got = await run(['flags', 'get', '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({
      revision: 3,
      flags: { routers: { r1: 'master-binding' } },
    });
    await doc.send(new DeleteCommand({ TableName: state.tableName, Key: key }));
    doc.destroy();
  }, 60_000);

  it('says per event whether it was applied, stale or rejected, with the reason', async () => {
    const vm = buildDefaultScenario('tunnel')
      .phases.flatMap((p) => p.events)
      .find((e) => e.type === 'port.upsert' && e.port.id === 'vm-a1');
    if (vm?.type !== 'port.upsert') throw new Error('no vm-a1 port');
    const wrong = { ...vm, port: { ...vm.port, networkId: 'net-b', revision: vm.port.revision + 100 } };
    const file = path.join(dir, 'mixed.json');
    await writeFile(file, JSON.stringify([vm, wrong]));
    const r = await run(['send', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {3}1 port\.upsert {3}stale {5}port vm-a1 on net-a/m);
    expect(r.stdout).toMatch(
      /^ {3}2 port\.upsert {3}rejected {2}port vm-a1 on net-b: invalid_message: port vm-a1 names network net-b/m,
    );
    expect(r.stderr).toContain('1 rejected');
  }, 60_000);

  it("follows one event's correlation id through the controller, the outbox and the agent that applies it", async () => {
    const vm = buildDefaultScenario('tunnel')
      .phases.flatMap((p) => p.events)
      .find((e) => e.type === 'port.upsert' && e.port.id === 'vm-a1');
    if (vm?.type !== 'port.upsert') throw new Error('no vm-a1 port');
    const moved = { ...vm, port: { ...vm.port, ips: ['10.1.0.77'], revision: vm.port.revision + 1000 } };
    const file = path.join(dir, 'one.json');
    await writeFile(file, JSON.stringify(moved));
    const r = await run(['send', file]);
    expect(r.code).toBe(0);
    const id = /\[([0-9a-f-]{36})\]/.exec(r.stdout)?.[1] ?? '';
    const lines = await until('the agents to log the correlation id', async () => {
      const found = stack
        .output()
        .stdout.split('\n')
        .filter((l) => l.includes(id));
      return found.some((l) => l.includes('"service":"l2pop-agent"')) ? found : undefined;
    });
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.find((l) => l.message === 'port.upsert applied')).toMatchObject({
      correlationId: id,
      service: 'port-events',
    });
    expect(parsed.filter((l) => l.service === 'l2pop-agent').map((l) => l.host)).toContain('compute2');
  }, 60_000);

  it('shows a dead-lettered event in status, and applies it once redriven to its queue', async () => {
    const state = JSON.parse(await readFile(stackFile, 'utf8'));
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: state.endpoints.sqs,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      useQueueUrlAsEndpoint: false,
    });
    const names = await resourceNames(state.stackName);
    const dlq = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.PortEventsDlq }))).QueueUrl ?? '';
    const vm = buildDefaultScenario('tunnel')
      .phases.flatMap((p) => p.events)
      .filter((e) => e.type === 'port.upsert' && e.port.id === 'vm-c1')
      .at(-1); // the ACTIVE one: a DOWN port has no entries
    if (vm?.type !== 'port.upsert') throw new Error('no vm-c1 port');
    const late = { ...vm, port: { ...vm.port, ips: ['10.3.0.55'], revision: vm.port.revision + 2000 } };
    // what 5 failed deliveries leave behind, with the correlation id its sender gave it
    const correlationId = randomUUID();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: JSON.stringify(late),
        MessageGroupId: 'net-c',
        MessageDeduplicationId: randomUUID(),
        MessageAttributes: { 'correlation-id': { DataType: 'String', StringValue: correlationId } },
      }),
    );
    const before = await run(['status', '--network', 'net-c']);
    expect(before.stdout).toContain('dead-letter queues: PortEvents 1, HaEvents 0, AgentEvents 0');
    sqs.destroy();
    // the documented redrive: `l2pop redrive port-events` on the deployed-stack path (fauxqs has no move task)
    const redriven = await run(['redrive', 'port-events']);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toMatch(/^moved \S+ \(group net-c\)$/m);
    expect(redriven.stdout).toContain('redrove 1 messages from the port-events DLQ');
    const after = await until('net-c to converge after the redrive', async () => {
      const r = await run(['status', '--network', 'net-c']);
      return r.code === 0 && r.stdout.includes('PortEvents 0') ? r : undefined;
    });
    expect(after.stdout).toMatch(/holds (\d+) of \1/);
    const fdb = await fdbUntilEqual('compute6', /10\.3\.0\.55/);
    expect(fdb.code).toBe(0);
    // the redriven event keeps its correlation id: the function's line names it
    const applied = stack
      .output()
      .stdout.split('\n')
      .filter((l) => l.includes(correlationId))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(applied.find((l) => l.message === 'port.upsert applied')).toMatchObject({
      correlationId,
      service: 'port-events',
    });
  }, 120_000);

  it('names the endpoint that failed and the flag that sets it, and exits 1', async () => {
    const r = await l2pop(
      [
        'status',
        ...deployed.map((a, i) => (deployed[i - 1] === '--dynamo-endpoint' ? 'http://127.0.0.1:9' : a)),
      ],
      120_000,
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot reach DynamoDB at http:\/\/127\.0\.0\.1:9: ECONNREFUSED.*\(set it with --dynamo-endpoint/,
    );
  }, 120_000);

  it('prints its version', async () => {
    const r = await l2pop(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});

describe('stopping the local stack', () => {
  it('stops on SIGTERM, exits 0 and removes its state file', async () => {
    const exited = new Promise<number | null>((resolve) => stack.child.once('exit', (code) => resolve(code)));
    stack.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(stackFile)).toBe(false);
  }, 30_000);
});

/** The local addresses (hex, as /proc/net/tcp* write them) that listen on `port`. */
async function listenAddresses(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) out.push(local.slice(0, -5));
    }
  }
  return out;
}

/** Pids of DynamoDB Local JVMs started with `-port <port>`. */
async function dynamoJvms(port: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmd.split('\0');
    const i = args.indexOf('-port');
    if (
      args[0] === 'java' &&
      args.some((a) => a.endsWith('DynamoDBLocal.jar')) &&
      args[i + 1] === String(port)
    )
      pids.push(Number(entry));
  }
  return pids;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('l2pop stack up: what it starts, it binds to loopback and stops', () => {
  it.each(['--sqs-port', '--dynamo-port'])(
    'a port already in use (%s) exits 2 with a clear error and leaves no DynamoDB Local behind',
    async (option) => {
      const taken = createServer();
      await new Promise<void>((r) => taken.listen(0, '0.0.0.0', () => r()));
      const takenPort = (taken.address() as AddressInfo).port;
      const dynamoPort = option === '--dynamo-port' ? takenPort : await freePort();
      const sqsPort = option === '--sqs-port' ? takenPort : await freePort();
      try {
        const file = path.join(dir, `busy${option}.json`);
        const r = await l2pop(
          [
            'stack',
            'up',
            '--stack-file',
            file,
            '--dynamo-port',
            String(dynamoPort),
            '--sqs-port',
            String(sqsPort),
          ],
          60_000,
        );
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`cannot listen on port ${takenPort}: it is already in use`);
        expect(r.stderr).toContain(option);
        expect(existsSync(file)).toBe(false);
        if (option === '--sqs-port') expect(await dynamoJvms(dynamoPort)).toEqual([]);
      } finally {
        await new Promise((r) => taken.close(r));
      }
    },
  );

  it('listens with fauxqs on 127.0.0.1 only, and killed with SIGKILL leaves no DynamoDB Local behind', async () => {
    const dynamoPort = await freePort();
    const file = path.join(dir, 'killed.json');
    const killed = startCli(['stack', 'up', '--stack-file', file, '--dynamo-port', String(dynamoPort)]);
    await until('the second stack file', async () => (existsSync(file) ? true : undefined), 60_000);
    expect((await dynamoJvms(dynamoPort)).length).toBe(1);
    const state = JSON.parse(await readFile(file, 'utf8'));
    expect(await listenAddresses(Number(new URL(state.endpoints.sqs).port))).toEqual(['0100007F']);
    killed.child.kill('SIGKILL');
    await until('its DynamoDB Local to exit', async () =>
      (await dynamoJvms(dynamoPort)).length === 0 ? true : undefined,
    );
  });
});
