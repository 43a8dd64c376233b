import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the functions asked of DynamoDB and SQS, counted on the wire. */
export interface WireUsage {
  /** Requests per API operation (`GetItem`, `TransactWriteItems`, `SendMessageBatch`, ...). */
  readonly requests: Record<string, number>;
  /**
   * DynamoDB capacity units the responses report: the local stack meters the functions
   * (`meterSeams`, tools/support/dynamo-meter.ts), so they ask for `TOTAL` on every call.
   */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** SQS messages sent (SendMessage and SendMessageBatch entries) and the bytes of their bodies. */
  readonly messages: number;
  readonly bytes: number;
}

export const EMPTY_USAGE: WireUsage = { requests: {}, readUnits: 0, writeUnits: 0, messages: 0, bytes: 0 };

export function addUsage(a: WireUsage, b: WireUsage): WireUsage {
  const requests = { ...a.requests };
  for (const [op, n] of Object.entries(b.requests)) requests[op] = (requests[op] ?? 0) + n;
  return {
    requests,
    readUnits: a.readUnits + b.readUnits,
    writeUnits: a.writeUnits + b.writeUnits,
    messages: a.messages + b.messages,
    bytes: a.bytes + b.bytes,
  };
}

export function subtractUsage(a: WireUsage, b: WireUsage): WireUsage {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(a.requests)) {
    const d = n - (b.requests[op] ?? 0);
    if (d > 0) requests[op] = d;
  }
  return {
    requests,
    readUnits: a.readUnits - b.readUnits,
    writeUnits: a.writeUnits - b.writeUnits,
    messages: a.messages - b.messages,
    bytes: a.bytes - b.bytes,
  };
}

export const totalRequests = (u: WireUsage) => Object.values(u.requests).reduce((a, b) => a + b, 0);

const READS = /^(GetItem|Query|Scan|BatchGetItem|TransactGetItems)$/;

interface Capacity {
  CapacityUnits?: number;
}

function unitsOf(body: Buffer): number {
  try {
    const c = (JSON.parse(body.toString('utf8')) as { ConsumedCapacity?: Capacity | Capacity[] })
      .ConsumedCapacity;
    if (!c) return 0;
    return (Array.isArray(c) ? c : [c]).reduce((n, x) => n + (x.CapacityUnits ?? 0), 0);
  } catch {
    return 0;
  }
}

function sentBodies(op: string, body: Buffer): string[] {
  if (op !== 'SendMessage' && op !== 'SendMessageBatch') return [];
  try {
    const input = JSON.parse(body.toString('utf8')) as {
      MessageBody?: string;
      Entries?: { MessageBody?: string }[];
    };
    return op === 'SendMessage'
      ? [input.MessageBody ?? '']
      : (input.Entries ?? []).map((e) => e.MessageBody ?? '');
  } catch {
    return [];
  }
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A pass-through HTTP proxy in front of DynamoDB Local or fauxqs that counts what goes through it,
 * by the `X-Amz-Target` of each request (both speak the AWS JSON protocol). The local stack
 * points only the functions at it, so the count is exactly what the deployed functions would be
 * billed for, read on the wire rather than from the code under test. The Host header is rewritten
 * to the target, so fauxqs builds the same queue URLs as for a direct client. `onExchange` hears
 * of each answered request with its times (the latency profile, tools/bench/ha-latency).
 */
/** One request through the proxy: its operation and when it arrived and was answered (epoch ms). */
export interface WireExchange {
  readonly op: string;
  readonly start: number;
  readonly end: number;
}

export async function startMeteringProxy(
  target: string,
  options: { readonly onExchange?: (exchange: WireExchange) => void } = {},
) {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let usage: WireUsage = EMPTY_USAGE;
  const server = createServer(async (req, res) => {
    const start = performance.timeOrigin + performance.now();
    try {
      const body = await readAll(req);
      const op =
        String(req.headers['x-amz-target'] ?? 'unknown')
          .split('.')
          .pop() ?? 'unknown';
      const headers = { ...req.headers, host: upstream.host };
      const reply = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = request(
          { agent, host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
          resolve,
        );
        out.on('error', reject);
        out.end(body);
      });
      const answer = await readAll(reply);
      const units = reply.headers['content-encoding'] ? 0 : unitsOf(answer);
      const sent = sentBodies(op, body);
      usage = addUsage(usage, {
        requests: { [op]: 1 },
        readUnits: READS.test(op) ? units : 0,
        writeUnits: READS.test(op) ? 0 : units,
        messages: sent.length,
        bytes: sent.reduce((n, b) => n + Buffer.byteLength(b, 'utf8'), 0),
      });
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      res.end(answer);
      options.onExchange?.({ op, start, end: performance.timeOrigin + performance.now() });
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`metering proxy: ${(err as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    usage: (): WireUsage => usage,
    async stop(): Promise<void> {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type MeteringProxy = Awaited<ReturnType<typeof startMeteringProxy>>;
