import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { ALL_COMMANDS, EXIT, main } from '../../tools/cli/main.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(
    ['node', 'l2pop', ...args],
    (s) => void (out += s),
    (s) => void (err += s),
  );
  return { code, out, err };
}

let dir: string;
let noStack: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'l2pop-cli-'));
  noStack = path.join(dir, 'none', 'stack.json');
});

describe('help', () => {
  it('lists every command and the exit codes', async () => {
    const r = await run('--help');
    expect(r.code).toBe(EXIT.ok);
    for (const c of [
      'local',
      'ab',
      'stack',
      'send',
      'fdb',
      'flags',
      'replay',
      'status',
      'redrive',
      'rebuild',
      'vip',
    ])
      expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.out).toContain('Exit codes: 0 success, 1 failure');
  });

  it.each([
    ['local'],
    ['ab'],
    ['stack', 'up'],
    ['send'],
    ['fdb'],
    ['flags', 'get'],
    ['flags', 'set'],
    ['replay'],
    ['redrive'],
    ['rebuild'],
    ['vip', 'list'],
    ['vip', 'release'],
  ])('%s %s --help exits 0 and documents its options and exit codes', async (...cmd) => {
    const r = await run(...cmd.filter(Boolean), '--help');
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/Usage: l2pop /);
    expect(r.out).toContain('Exit codes:');
  });
});

describe('bad input: a clear message and exit code 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
    [
      'an unknown strategy',
      ['local', '--strategies', 'tunnel,fast'],
      /expected one of tunnel, master-binding, auto/,
    ],
    ['a bad number', ['local', '--phase-timeout', 'soon'], /expected a whole number/],
    [
      'an unknown queue to redrive',
      ['redrive', 'outbox'],
      /expected one of port-events, ha-events, agent-events/,
    ],
    ['a missing file', ['ab', 'does-not-exist.json'], /does-not-exist.json: no such file/],
    ['a bad port', ['stack', 'up', '--dynamo-port', '70000'], /expected a TCP port/],
    ['a bad host name', ['fdb', 'not a host'], /not a host name/],
    ['a bad endpoint', ['send', '--sqs-endpoint', 'localhost'], /expected an http\(s\) URL/],
    ['a flags set with nothing to set', ['flags', 'set', '--stack-file', 'x'], /nothing to set/],
    [
      'a rollout above 100 %',
      ['flags', 'set', '--rollout', '150', '--stack-file', 'x'],
      /expected a percentage/,
    ],
    ['a bad override', ['flags', 'set', '--router', 'r1'], /expected ID=STRATEGY/],
    ['a rebuild of nothing', ['rebuild', '--stack-file', 'x'], /give --network <id...> or --all/],
    [
      'a rebuild of some networks and all',
      ['rebuild', '--all', '--network', 'n1', '--stack-file', 'x'],
      /give --network <id...> or --all/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('a file that is not JSON names the file and the parse error', async () => {
    const f = path.join(dir, 'bad.json');
    await writeFile(f, '{"phases": [');
    const r = await run('ab', f);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain(`${f}: not valid JSON`);
  });

  it('a file in none of the accepted formats says which formats are accepted', async () => {
    const f = path.join(dir, 'other.json');
    await writeFile(f, '{"hello": "world"}');
    const r = await run('ab', f);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/expected a scenario .* a list of events .* or an oracle trace/);
  });

  it.each([
    ['an object of other keys', '{"foo": 1}', /not a trace: unknown key foo/],
    ['an empty object', '{}', /not a trace: no "steps" list/],
    ['a list of events', '[{"type": "port.delete"}]', /not a trace \(expected an oracle trace/],
    ['a bare number', '7', /not a trace/],
  ])('replay of a file that is not a trace (%s) is a usage error', async (_name, text, message) => {
    const f = path.join(dir, 'not-a-trace.json');
    await writeFile(f, text);
    const r = await run('replay', f);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('an invalid event is refused before anything is sent, naming the event and the field', async () => {
    const f = path.join(dir, 'events.json');
    await writeFile(
      f,
      JSON.stringify([{ type: 'ha.state', v: 1, routerId: 'r1', host: 'h1', state: 'sleepy', seq: 1 }]),
    );
    const r = await run('send', f, '--stack-file', noStack);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/event 0: state: /);
  });

  it('an event the controller will not act on draws a warning naming it, before anything is sent', async () => {
    const f = path.join(dir, 'wrong-owner.json');
    const port = {
      id: 'vip-r1',
      networkId: 'net-a',
      mac: 'fa:16:3e:00:00:01',
      ips: ['10.0.0.1'],
      deviceOwner: 'network:router_ha_replicated',
      deviceId: 'r1',
      host: 'net1',
      status: 'ACTIVE',
      revision: 1,
    };
    const network = { id: 'net-a', networkType: 'vxlan', segmentId: 100 };
    await writeFile(f, JSON.stringify([{ type: 'port.upsert', v: 1, network, port }]));
    const r = await run('send', f, '--stack-file', noStack);
    expect(r.err).toMatch(
      /^l2pop: warning: event 1 \(port.upsert, port vip-r1\): device owner "network:router_ha_replicated" is unknown, the controller rejects the event/m,
    );
    expect(r.err).toContain('no stack given');
  });

  it('commands that need a stack say how to name a deployed one or start a local one', async () => {
    for (const args of [['flags', 'get'], ['fdb', 'compute1'], ['status']]) {
      const r = await run(...args, '--stack-file', noStack);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toContain('no stack given');
      expect(r.err).toContain('--stage');
      expect(r.err).toContain('npx l2pop stack up');
    }
  });

  it('a stack file whose process is gone is reported as not running', async () => {
    const f = path.join(dir, 'dead.json');
    const stack = {
      version: 1,
      pid: 2 ** 22 + 12345,
      startedAt: new Date().toISOString(),
      stackName: 's',
      tableName: 's-state',
      region: 'us-east-1',
      endpoints: { dynamo: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:2' },
      queues: { PortEventsQueue: 'a', HaEventsQueue: 'b', AgentEventsQueue: 'c' },
      agentQueuePrefix: 's-agent-',
      defaultStrategy: 'tunnel',
      agentStateDir: null,
      dataDir: null,
    };
    await writeFile(f, JSON.stringify(stack));
    const r = await run('flags', 'get', '--stack-file', f);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('is not running any more');
  });
});

describe('which commands ship', () => {
  const io = { out: () => {}, err: () => {}, color: false, invocation: 'l2pop' };
  it('src/cli registers the operator commands only; the bin adds the tooling around them', () => {
    expect(buildProgram(io).commands.map((c) => c.name())).toEqual([
      'fdb',
      'flags',
      'status',
      'redrive',
      'rebuild',
      'vip',
    ]);
    expect(buildProgram(io, ALL_COMMANDS).commands.map((c) => c.name())).toEqual([
      'local',
      'ab',
      'stack',
      'send',
      'fdb',
      'flags',
      'status',
      'redrive',
      'rebuild',
      'vip',
      'replay',
    ]);
  });
});
