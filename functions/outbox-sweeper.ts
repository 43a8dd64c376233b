import { runAgentQueueSweep } from '../src/runtime/agent-queue-sweep.js';
import { runOutboxSweep } from '../src/runtime/outbox-sweep.js';
import { createScheduledHandler, scheduledHandlerWithSeams } from '../src/runtime/scheduled-handler.js';

/**
 * Scheduled (EventBridge, every 5 minutes): publishes outbox records left pending
 * (`sweepOutboxes`), then deletes the command queues of gone agents (`sweepAgentQueues`), also
 * when the outbox sweep failed.
 */
const spec = {
  name: 'outbox-sweeper',
  run: async (rt: Parameters<typeof runOutboxSweep>[0]) => {
    try {
      return await runOutboxSweep(rt);
    } finally {
      await runAgentQueueSweep(rt);
    }
  },
};
export const handler = createScheduledHandler(spec);
/** The local stack's entry (metering); Lambda never calls it. */
export const withSeams = scheduledHandlerWithSeams(spec);
