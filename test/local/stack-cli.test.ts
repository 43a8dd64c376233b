import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStateFile } from '../../src/sim/agent-state-file.js';
import { buildDefaultScenario } from '../../src/sim/default-scenario.js';
import { type Finished, l2pop, startCli } from './cli-process.js';

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
  stack = startCli(['stack', 'up', '--agents', 'default', '--stack-file', stackFile]);
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
    expect(sent.stderr).toBe('');
    expect(sent).toMatchObject({ code: 0 });
    expect(sent.stdout).toMatch(
      /^sent 29 events to l2pop-local: 23 PortEventsQueue, 6 HaEventsQueue, 0 AgentEventsQueue/,
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
