/**
 * Why the agent rejects a command for good, or refuses one entry of a command it applies
 * (`RefusedEntry`: the MAC, IP, flooding-entry, VTEP and duplicate codes). Stable strings: they
 * reach the agent's log lines, its `RefusedEntries` metric and, through SQS, its dead-letter queue.
 */
export const AGENT_REJECTION_CODES = [
  'oversized',
  'malformed_json',
  'forbidden_key',
  'invalid_command',
  'invalid_id',
  'unsupported_version',
  'invalid_mac',
  'invalid_ip',
  'invalid_flooding_entry',
  'invalid_vni',
  'invalid_device_name',
  'unsupported_network_type',
  'network_mismatch',
  'segment_mismatch',
  'address_family',
  'self_vtep',
  'duplicate_mac',
  'duplicate_ip',
  'limit_exceeded',
  'invalid_snapshot_part',
] as const;
export type AgentRejectionCode = (typeof AGENT_REJECTION_CODES)[number];

/**
 * A terminal error: the command is invalid and retrying cannot help, so the agent logs it with its
 * code and acknowledges the message. Thrown before anything reaches the kernel executor.
 *
 * It has the shape of the controller's `InvalidInputError` (src/core/errors.ts) on purpose: both
 * are style.md §8's terminal family. It is not that class because the vocabularies differ: two
 * thirds of these codes (VNIs, device names, the agent's own VTEP) are agent-side checks the
 * controller never makes, and adding them to `RejectionCode` would let the controller's rejected
 * records claim codes it cannot produce. Sharing the shape needs `InvalidInputError` to be generic
 * over its code union, a change to src/core proposed in docs/dataplane.md §1.2.
 */
export class AgentCommandError extends Error {
  override readonly name = 'AgentCommandError';
  readonly code: AgentRejectionCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: AgentRejectionCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}

/**
 * A transient error: iproute2 failed (device busy, netlink error). The message is not acknowledged,
 * so SQS redelivers it; every kernel operation the agent issues is idempotent.
 */
export class KernelCommandError extends Error {
  override readonly name = 'KernelCommandError';
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(argv: readonly string[], exitCode: number | null, stderr: string, cause?: unknown) {
    super(
      `${argv.join(' ')} exited ${exitCode ?? 'abnormally'}: ${stderr.trim().slice(0, 300)}`,
      cause === undefined ? undefined : { cause },
    );
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  /** The object to change or delete is not there: a removal that failed this way already holds. */
  get isMissing(): boolean {
    return /No such file or directory|does not exist|Cannot find device/i.test(this.stderr);
  }
}

export function isAgentCommandError(err: unknown): err is AgentCommandError {
  return err instanceof AgentCommandError;
}
