import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMemoryTransport } from '../../agent/agent-transport.js';
import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { runAgent } from '../../agent/run-agent.js';
import { createStdioTransport } from '../../agent/stdio-transport.js';
import { agentAppliedV1 } from '../../src/contracts/events.js';
import { createFakeKernel } from './fake-kernel.js';
import { agentConfig, delta, FLOOD, NET, NODE1, NODE2, ROUTER, snapshot } from './fixtures.js';

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

/**
 * An agent over the in-memory queue and the fake kernel, its clock `now` (0 unless given);
 * `start` runs it and returns what stops it and waits for the run to end.
 */
function bed(now: () => number = () => 0) {
  const transport = createMemoryTransport();
  const kernel = createFakeKernel();
  const agent = createAgent({
    config: agentConfig(),
    executor: kernel,
    log: createMemoryLogger(),
    send: (e) => transport.send(e),
    now,
  });
  const start = (options?: Parameters<typeof runAgent>[3]) => {
    const abort = new AbortController();
    const running = runAgent(agent, transport, abort.signal, options);
    return async () => {
      abort.abort();
      await running;
    };
  };
  return { transport, kernel, agent, start };
}

describe('runAgent over the in-memory queue', () => {
  it('reports first, then applies commands in order and acknowledges them', async () => {
    const { transport, kernel, agent, start } = bed();
    const stop = start();
    transport.push(snapshot(1, { [NODE1]: [FLOOD, ROUTER] }));
    transport.push(delta(2, 1, { remove: { [NODE1]: [ROUTER] }, add: { [NODE2]: [ROUTER] } }));
    await until(() => agent.held(NET)?.version === 2 && transport.depth === 0);
    await stop();
    expect(transport.sent[0]).toMatchObject({
      type: 'agent.report',
      host: 'compute1',
      capabilities: { learning: false, arp: 'proxy' },
    });
    expect(kernel.table('vx-100').fdb).toContain(`fa:16:3e:00:00:01 ${NODE2}`);
  });

  it('leaves a failed command and everything after it unacknowledged, so redelivery applies them in order', async () => {
    const { transport, kernel, agent, start } = bed();
    const stop = start();
    transport.push(snapshot(1, { [NODE1]: [FLOOD] }));
    await until(() => agent.held(NET)?.version === 1);
    kernel.failOn = 'append';
    transport.push(`${snapshot(2, { [NODE2]: [FLOOD] })}`);
    await until(() => agent.held(NET)?.dirty === true);
    expect(transport.depth).toBe(1);
    kernel.failOn = null;
    transport.redeliverUnacked();
    await until(() => agent.held(NET)?.version === 2 && transport.depth === 0);
    await stop();
    expect(kernel.table('vx-100').fdb).toEqual([`00:00:00:00:00:00 ${NODE2}`]);
  });
});

describe('runAgent: agent.applied reports', () => {
  it('reports what it holds once per interval, coalescing the applies meanwhile, valid by the contract', async () => {
    let clock = 1_700_000_000_000;
    const { transport, agent, start } = bed(() => clock);
    const applied = () => transport.sent.filter((e) => e.type === 'agent.applied');
    const stop = start({ appliedReportMs: 150 });
    transport.push(snapshot(1, { [NODE1]: [FLOOD, ROUTER] }));
    clock += 5;
    transport.push(delta(2, 1, { remove: { [NODE1]: [ROUTER] }, add: { [NODE2]: [ROUTER] } }));
    await until(() => agent.held(NET)?.version === 2 && transport.depth === 0);
    expect(applied()).toEqual([]);
    await until(() => applied().length === 1);
    // Two applies, one report, sent after the interval and holding the latest version.
    const first = agentAppliedV1.parse(applied()[0]);
    expect(first).toMatchObject({ host: 'compute1', bootId: 'boot-1', networks: { [NET]: 2 } });
    expect(first.at).toBe(clock);
    await new Promise((r) => setTimeout(r, 300));
    expect(applied()).toHaveLength(1);
    // A later apply is reported again; one still pending is sent when the agent stops.
    clock += 1000;
    transport.push(delta(3, 2, { add: { [NODE1]: [ROUTER] } }));
    await until(() => agent.held(NET)?.version === 3);
    await stop();
    expect(applied()).toHaveLength(2);
    expect(agentAppliedV1.parse(applied()[1])).toMatchObject({ networks: { [NET]: 3 }, at: clock });
  });

  it('repeats the report when idle (the heartbeat that keeps its queue)', async () => {
    const { transport, start } = bed();
    const stop = start({ appliedReportMs: 10, heartbeatMs: 60 });
    await until(() => transport.sent.filter((e) => e.type === 'agent.applied').length >= 2);
    await stop();
    const reports = transport.sent.filter((e) => e.type === 'agent.applied');
    expect(reports.map((e) => agentAppliedV1.parse(e).networks)).toContainEqual({});
  });

  it('sends no report when nothing was applied', async () => {
    const { transport, start } = bed();
    const stop = start({ appliedReportMs: 50 });
    transport.push('{"not":"a command"}');
    await until(() => transport.depth === 0);
    await new Promise((r) => setTimeout(r, 120));
    await stop();
    expect(transport.sent.map((e) => e.type)).toEqual(['agent.report']);
  });
});

describe('createStdioTransport', () => {
  it('reads one command per line and writes one event per line', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let closed = false;
    const transport = createStdioTransport(input, output, () => {
      closed = true;
    });
    input.write('{"a":1}\n\n{"b":2}\n');
    const got = await transport.receive(new AbortController().signal);
    expect(got.map((m) => m.body)).toEqual(['{"a":1}', '{"b":2}']);
    await transport.send({ type: 'agent.resync', v: 1, host: 'h1', networkId: NET, reason: 'gap' });
    expect(String(output.read())).toBe(
      `${JSON.stringify({ type: 'agent.resync', v: 1, host: 'h1', networkId: NET, reason: 'gap' })}\n`,
    );
    input.end();
    await until(() => closed);
  });
});
