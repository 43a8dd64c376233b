import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../agent/create-agent.js';
import { createMemoryLogger } from '../../agent/create-logger.js';
import { createSqsClient } from '../../agent/create-sqs-client.js';
import { runAgent } from '../../agent/run-agent.js';
import { sendHaState } from '../../agent/send-ha-state.js';
import { createSqsTransport } from '../../agent/sqs-transport.js';
import { agentEventSchema } from '../../src/contracts/events.js';
import { parseHaEvent } from '../../src/contracts/parse.js';
import { type LocalServer, startSqsLocal } from '../../tools/local/local-servers.js';
import { startManagementSocket } from '../e2e/dataplane/management-socket.js';
import { createQueue, fauxqsClient, receiveAndDelete, sendToGroup } from '../support/fauxqs.js';
import { createFakeKernel } from './fake-kernel.js';
import { agentConfig, delta, FLOOD, haState, NET, NODE1, NODE2, snapshot } from './fixtures.js';

/** The SQS transport against a real SQS protocol server (fauxqs), FIFO queues as in the cloud. */
describe('createSqsTransport (fauxqs)', () => {
  let server: LocalServer;
  let client: SQSClient;
  let commands: string;
  let events: string;

  beforeAll(async () => {
    server = await startSqsLocal();
    client = fauxqsClient(server);
    const fifo = { FifoQueue: 'true', VisibilityTimeout: '1' };
    commands = await createQueue(client, 'agent-compute1.fifo', fifo);
    events = await createQueue(client, 'agent-events.fifo', fifo);
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  const push = (body: string, id: string) => sendToGroup(client, commands, NET, body, id);

  it('receives commands in group order, redelivers what is not acknowledged, and sends events', async () => {
    const transport = createSqsTransport({
      client,
      commandQueue: { url: commands },
      eventQueueUrl: events,
      host: 'compute1',
      waitTimeSeconds: 1,
    });
    await push('{"n":1}', 'a');
    await push('{"n":2}', 'b');
    const signal = new AbortController().signal;
    // Real SQS may hand out both messages of the group in one batch; fauxqs hands out one.
    const seen: string[] = [];
    while (seen.length < 2) {
      for (const m of await transport.receive(signal)) {
        seen.push(m.body);
        if (m.body === '{"n":1}') await transport.ack(m);
      }
    }
    expect(seen).toEqual(['{"n":1}', '{"n":2}']);
    // Message 2 is not acknowledged: it comes back after the 1 s visibility timeout.
    await new Promise((r) => setTimeout(r, 1200));
    const again = await transport.receive(signal);
    expect(again.map((m) => m.body)).toEqual(['{"n":2}']);
    for (const m of again) await transport.ack(m);

    await transport.send({ type: 'agent.resync', v: 1, host: 'compute1', networkId: NET, reason: 'gap' });
    await transport.send({ type: 'agent.resync', v: 1, host: 'compute1', networkId: NET, reason: 'gap' });
    // One SendMessageBatch: both in the queue at once, in order, after the two above.
    await transport.sendBatch?.([
      { type: 'agent.resync', v: 1, host: 'compute1', networkId: `${NET}-b1`, reason: 'gap' },
      { type: 'agent.resync', v: 1, host: 'compute1', networkId: `${NET}-b2`, reason: 'gap' },
    ]);
    const types: string[] = [];
    const networks: string[] = [];
    for (let i = 0; i < 8 && types.length < 4; i++) {
      for (const body of await receiveAndDelete(client, events)) {
        const e = JSON.parse(body || '{}');
        types.push(e.type);
        networks.push(e.networkId);
      }
    }
    // Both arrive: a fresh deduplication id per send, so FIFO deduplication does not eat the repeat.
    expect(types).toEqual(Array(4).fill('agent.resync'));
    expect(networks).toEqual([NET, NET, `${NET}-b1`, `${NET}-b2`]);
  });

  it('resolves an empty batch when the agent stops during a long poll', async () => {
    const transport = createSqsTransport({
      client,
      commandQueue: { url: commands },
      eventQueueUrl: events,
      host: 'compute1',
      waitTimeSeconds: 20,
    });
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    expect(await transport.receive(stop.signal)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('resolves its command queue by name once the controller has created it', async () => {
    const transport = createSqsTransport({
      client,
      commandQueue: { name: 'agent-late.fifo' },
      eventQueueUrl: events,
      host: 'late',
      waitTimeSeconds: 1,
      resolveRetryMs: 50,
    });
    const signal = new AbortController().signal;
    const received = transport.receive(signal);
    await new Promise((r) => setTimeout(r, 200));
    const url = await createQueue(client, 'agent-late.fifo', { FifoQueue: 'true' });
    await sendToGroup(client, url, NET, '{"n":1}', 'x');
    const got = [...(await received)];
    while (got.length === 0) got.push(...(await transport.receive(signal)));
    expect(got.map((m) => m.body)).toEqual(['{"n":1}']);
    await transport.ack(got[0] as (typeof got)[number]);
  });

  it('sends an ha.state through a Unix socket, in the router message group, in the contract', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'l2pop-sock-'));
    const socket = await startManagementSocket(path.join(dir, 'sqs.sock'), new URL(server.endpoint));
    const viaSocket = createSqsClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      socketPath: socket.path,
    });
    try {
      const event = haState();
      await sendHaState(viaSocket, events, event);
      await sendHaState(viaSocket, events, event); // the same fact twice: deduplicated
      const got = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: events,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['MessageGroupId'],
        }),
      );
      expect(got.Messages?.map((m) => parseHaEvent(m.Body ?? ''))).toEqual([event]);
      expect(got.Messages?.[0]?.Attributes?.MessageGroupId).toBe('router-1');
      for (const m of got.Messages ?? [])
        await client.send(new DeleteMessageCommand({ QueueUrl: events, ReceiptHandle: m.ReceiptHandle }));
    } finally {
      viaSocket.destroy();
      await socket.close();
    }
  });

  it('runs the agent over SQS: its report, then one agent.applied for a burst of commands, in the contract', async () => {
    const fifo = { FifoQueue: 'true', VisibilityTimeout: '5' };
    const own = await createQueue(client, 'agent-compute9.fifo', fifo);
    const out = await createQueue(client, 'events-compute9.fifo', fifo);
    const transport = createSqsTransport({
      client,
      commandQueue: { url: own },
      eventQueueUrl: out,
      host: 'compute9',
      waitTimeSeconds: 1,
    });
    const agent = createAgent({
      config: agentConfig({ host: 'compute9', bootId: 'boot-9' }),
      executor: createFakeKernel(),
      log: createMemoryLogger(),
      send: (e) => transport.send(e),
      now: () => Date.now(),
    });
    const send = (body: string, id: string) => sendToGroup(client, own, NET, body, id);
    await send(snapshot(1, { [NODE1]: [FLOOD] }), 's1');
    await send(delta(2, 1, { add: { [NODE2]: [FLOOD] } }), 'd2');
    const stop = new AbortController();
    const running = runAgent(agent, transport, stop.signal, { appliedReportMs: 500 });
    const events: ReturnType<typeof agentEventSchema.parse>[] = [];
    for (let i = 0; i < 10 && !events.some((e) => e.type === 'agent.applied'); i++)
      for (const body of await receiveAndDelete(client, out))
        events.push(agentEventSchema.parse(JSON.parse(body)));
    stop.abort();
    await running;
    expect(events.map((e) => e.type)).toEqual(['agent.report', 'agent.applied']);
    expect(events[1]).toMatchObject({ host: 'compute9', bootId: 'boot-9', networks: { [NET]: 2 } });
  });
});
