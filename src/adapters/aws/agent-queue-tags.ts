/**
 * The tags of an agent's command queue, set when the controller creates it: which stack (the
 * queue prefix without `-agent-cmd-`), which host, and when. They let an operator, or a cleanup
 * job, tell the stack's agent queues apart and find the old ones (`aws sqs list-queue-tags`).
 * Tag values allow letters, digits, spaces and `_ . : / = + - @` (256 characters).
 */
/** The tag naming the host a queue belongs to (the agent queue sweep reads it). */
export const HOST_TAG = 'l2pop:host';

export function agentQueueTags(prefix: string, host: string, now: Date): Record<string, string> {
  return {
    'l2pop:stack': prefix.replace(/-agent-cmd-$/, ''),
    [HOST_TAG]: host.slice(0, 256),
    'l2pop:created': now.toISOString(),
  };
}
