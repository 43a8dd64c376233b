import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { capabilitiesSchema } from '../contracts/events.js';
import type { AgentCapabilities, AgentTable } from '../core/types.js';

/**
 * What an agent reports it holds, written by the agent itself after every batch it applies:
 * `<dir>/<host>.json`. `l2pop fdb HOST` compares it with what the controller intends. It is the
 * agent's own account of its applied state (a kernel agent would write what it programmed), not
 * a replay of the commands sent, so a command lost or misapplied shows up as a difference.
 */
export interface AgentStateFile {
  readonly host: string;
  readonly bootId: string;
  readonly tunnelIp: string | null;
  readonly capabilities: AgentCapabilities;
  readonly updatedAt: string;
  readonly networks: Readonly<Record<string, { readonly version: number; readonly table: AgentTable }>>;
}

const entrySchema = z.tuple([z.string(), z.string()]);

const stateFileSchema = z.object({
  host: z.string(),
  bootId: z.string(),
  tunnelIp: z.string().nullable(),
  capabilities: capabilitiesSchema,
  updatedAt: z.string(),
  networks: z.record(
    z.string(),
    z.object({ version: z.number().int().nonnegative(), table: z.record(z.string(), z.array(entrySchema)) }),
  ),
});

export function agentStatePath(dir: string, host: string): string {
  return path.join(dir, `${host}.json`);
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export async function writeAgentState(dir: string, state: AgentStateFile): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = agentStatePath(dir, state.host);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 1)}\n`);
  await rename(tmp, file);
}

/** The agent's state, or undefined when it never wrote one. */
export async function readAgentState(dir: string, host: string): Promise<AgentStateFile | undefined> {
  let text: string;
  try {
    text = await readFile(agentStatePath(dir, host), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return stateFileSchema.parse(JSON.parse(text));
}
