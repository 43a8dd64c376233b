import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { STRATEGIES } from '../core/types.js';

/** Where `l2pop stack up` says what it runs, unless told otherwise (.local/ is git- and lint-ignored). */
export const DEFAULT_STACK_FILE = '.local/l2pop/stack.json';

const urlsSchema = z.object({
  PortEventsQueue: z.string(),
  HaEventsQueue: z.string(),
  AgentEventsQueue: z.string(),
});

/**
 * The running local stack, for the other commands (`send`, `fdb`, `flags`) and for anything that
 * integrates through the queues: endpoints, table, inbound queue URLs (fauxqs matches URLs
 * exactly, so clients must use these, not build their own), the agent queue prefix, the
 * deployment default strategy and where the simulated agents write what they hold.
 */
export const stackFileSchema = z.object({
  version: z.literal(1),
  pid: z.number().int(),
  startedAt: z.string(),
  stackName: z.string(),
  tableName: z.string(),
  region: z.string(),
  endpoints: z.object({ dynamo: z.string(), sqs: z.string() }),
  queues: urlsSchema,
  agentQueuePrefix: z.string(),
  defaultStrategy: z.enum(STRATEGIES),
  /** Directory of `<host>.json` agent state files; null when no simulated agents run. */
  agentStateDir: z.string().nullable(),
  /** DynamoDB Local's files; null when in memory. */
  dataDir: z.string().nullable(),
});

export type StackFile = z.infer<typeof stackFileSchema>;

export async function writeStackFile(file: string, stack: StackFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(stack, null, 2)}\n`);
  await rename(tmp, file);
}

export async function readStackFile(file: string): Promise<StackFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return stackFileSchema.parse(JSON.parse(text));
}

export async function removeStackFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** True when the process that wrote the file still runs (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
