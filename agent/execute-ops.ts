import { KernelCommandError } from './agent-error.js';
import type { KernelExecutor } from './kernel-executor.js';
import { type KernelCommand, type KernelOp, type KernelProgram, kernelCommandOf } from './kernel-ops.js';

async function runOne(executor: KernelExecutor, cmd: KernelCommand): Promise<void> {
  try {
    await executor.run(cmd.program, cmd.args);
  } catch (err) {
    if (cmd.removal && err instanceof KernelCommandError && err.isMissing) return;
    throw err;
  }
}

async function runGroup(
  executor: KernelExecutor,
  program: KernelProgram,
  cmds: readonly KernelCommand[],
): Promise<void> {
  if (cmds.length === 0) return;
  if (cmds.length === 1) return runOne(executor, cmds[0] as KernelCommand);
  try {
    await executor.batch(
      program,
      cmds.map((c) => c.args),
    );
  } catch (err) {
    if (!(err instanceof KernelCommandError)) throw err;
    // A failed line does not say why in a form worth parsing, and `ip neigh` aborts the whole batch
    // on its first error. Every operation is idempotent, so replay them one by one: removals of
    // something already gone pass, anything else fails with its own stderr.
    for (const cmd of cmds) await runOne(executor, cmd);
  }
}

/**
 * Applies operations: every argv is built (and re-validated) before the first process starts, so
 * a bad value aborts the whole list without touching the kernel. FDB operations (`bridge`) and ARP
 * entries (`ip neigh`) live in separate kernel tables, so each program keeps its own order and the
 * two batches run side by side.
 */
export async function executeOps(executor: KernelExecutor, ops: readonly KernelOp[]): Promise<number> {
  const cmds = ops.map(kernelCommandOf);
  const bridge = cmds.filter((c) => c.program === 'bridge');
  const ip = cmds.filter((c) => c.program === 'ip');
  const results = await Promise.allSettled([
    runGroup(executor, 'bridge', bridge),
    runGroup(executor, 'ip', ip),
  ]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return cmds.length;
}
