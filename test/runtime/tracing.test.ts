import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { agentReport, portUpsert } from '../support/messages.js';
import { type Harness, startHarness } from '../support/runtime-harness.js';

/**
 * X-Ray tracing enabled, on the bundled functions: a UDP socket plays the X-Ray daemon (its
 * protocol is one datagram per document, a JSON header line then the segment JSON), and the
 * process looks like Lambda to the X-Ray SDK: `AWS_EXECUTION_ENV` (Powertools Tracer stays off
 * without it), `LAMBDA_TASK_ROOT` (the SDK's Lambda mode: a facade segment from
 * `_X_AMZN_TRACE_ID`, each subsegment streamed to the daemon as it closes) and `_X_AMZN_TRACE_ID`
 * with `Sampled=1`. Nothing of the SDK is mocked; only the daemon is stood in for.
 */
const TRACE_ID = '1-67891233-abcdef012345678912345678';
const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LAMBDA_TASK_ROOT: '/var/task',
  // One process hosts the three functions here, so every handler subsegment carries this name.
  _HANDLER: 'port-events.handler',
  _X_AMZN_TRACE_ID: `Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1`,
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  // Off: the local servers speak plain HTTP on kept-alive sockets, and an HTTP subsegment left open
  // holds its parent (the handler subsegment) back from being streamed. The SDK-call subsegments
  // (captureAWSv3Client) are what the product asks for.
  POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS: 'false',
};

interface Doc {
  name: string;
  id: string;
  trace_id?: string | undefined;
  parent_id?: string;
  type?: string;
  namespace?: string;
  aws?: { operation?: string };
  subsegments?: Doc[];
}

let daemon: Socket;
const datagrams: string[] = [];
let h: Harness;
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (m) => datagrams.push(m.toString('utf8')));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const env = {
    ...LAMBDA_ENV,
    POWERTOOLS_TRACE_ENABLED: 'true',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
  };
  // The SDK reads the trace header and the daemon address while the handler runs, not only at init.
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  h = await startHarness({ label: 'tracing', env });
  const messages = [
    agentReport('t1', '192.0.2.1'),
    agentReport('t2', '192.0.2.2'),
    portUpsert({
      network: 'tn1',
      segmentId: 951,
      id: 'tp1',
      mac: 'fa:16:3e:95:01:01',
      ip: '10.95.1.1',
      host: 't1',
    }),
    portUpsert({
      network: 'tn1',
      segmentId: 951,
      id: 'tp2',
      mac: 'fa:16:3e:95:01:02',
      ip: '10.95.1.2',
      host: 't2',
    }),
  ];
  await h.send(messages);
  await h.converge(messages);
  await new Promise((r) => setTimeout(r, 200));
}, 180_000);

afterAll(async () => {
  await h?.stop();
  daemon?.close();
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** The documents as sent, one per datagram (after the daemon protocol's header line). */
function sent(): Doc[] {
  return datagrams.map((g) => {
    const newline = g.indexOf('\n');
    expect(JSON.parse(g.slice(0, newline))).toEqual({ format: 'json', version: 1 });
    return JSON.parse(g.slice(newline + 1)) as Doc;
  });
}

/** Every document and every subsegment nested in one, flattened. */
function documents(): Doc[] {
  const out: Doc[] = [];
  const walk = (d: Doc) => {
    out.push(d);
    for (const s of d.subsegments ?? []) walk({ ...s, trace_id: s.trace_id ?? d.trace_id });
  };
  for (const d of sent()) walk(d);
  return out;
}

it('sends the handler subsegment of each invocation to the daemon, in the invocation trace', () => {
  const docs = documents();
  const handlers = docs.filter((d) => d.name === '## port-events.handler');
  expect(handlers.length).toBeGreaterThan(0);
  for (const d of handlers) expect(d.trace_id).toBe(TRACE_ID);
  // The facade segment (Lambda's own) is never sent: every document sent is a subsegment under
  // its parent id (a subsegment nested inside a sent one carries neither field, so only the
  // documents as sent are checked).
  expect(sent().filter((d) => d.type !== 'subsegment' || d.parent_id === undefined)).toEqual([]);
});

it('sends a subsegment for the DynamoDB and SQS calls, named by service and operation', () => {
  const docs = documents();
  const calls = (service: string) =>
    docs.filter((d) => d.name === service && d.namespace === 'aws').map((d) => d.aws?.operation);
  expect(calls('DynamoDB')).toContain('TransactWriteItems');
  expect(calls('DynamoDB')).toContain('GetItem');
  expect(calls('SQS')).toContain('SendMessageBatch');
  for (const d of docs.filter((x) => x.namespace === 'aws')) expect(d.trace_id).toBe(TRACE_ID);
});
