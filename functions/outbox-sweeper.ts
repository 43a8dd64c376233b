import { runAgentQueueSweep } from '../src/runtime/agent-queue-sweep.js';
import { runOutboxSweep } from '../src/runtime/outbox-sweep.js';
import { createScheduledHandler } from '../src/runtime/scheduled-handler.js';

/**
 * Scheduled (EventBridge, every 5 minutes): publishes outbox records left pending
 * (`sweepOutboxes`), then deletes the command queues of gone agents (`sweepAgentQueues`), also
 * when the outbox sweep failed.
 */
export const handler = createScheduledHandler({
  name: 'outbox-sweeper',
  run: async (rt) => {
    try {
      return await runOutboxSweep(rt);
    } finally {
      await runAgentQueueSweep(rt);
    }
  },
});
