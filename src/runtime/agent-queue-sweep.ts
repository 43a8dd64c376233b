import { type AgentQueueSweepResult, sweepAgentQueues } from '../app/sweep-agent-queues.js';
import { emitMetrics } from './observe.js';
import type { Runtime } from './runtime.js';

/**
 * One tick of the agent queue sweep: deletes the command queues of agents not heard from for
 * `L2POP_AGENT_GONE_AFTER_SECONDS`, logs each host, and publishes `AgentQueuesRemoved` (strategy
 * `none`). `now` is the controller's clock (ms), a parameter for tests.
 */
export async function runAgentQueueSweep(rt: Runtime, now = Date.now()): Promise<AgentQueueSweepResult> {
  const result = await sweepAgentQueues(
    { queues: rt.agentQueueList, seen: rt.agentSeen },
    now,
    rt.config.agentGoneAfterSeconds * 1000,
  );
  for (const host of result.removed) {
    rt.queues.forget(host);
    rt.logger.info('agent queue sweep: removed the queue of a gone agent', {
      host,
      goneAfterSeconds: rt.config.agentGoneAfterSeconds,
      strategy: 'none',
    });
  }
  rt.logger.info('agent queue sweep', {
    queues: result.queues,
    removed: result.removed.length,
    untagged: result.untagged,
    strategy: 'none',
  });
  emitMetrics(rt.eventMetrics, { strategy: 'none' }, { AgentQueuesRemoved: result.removed.length });
  return result;
}
