import { runOutboxSweep } from '../src/runtime/outbox-sweep.js';
import { createScheduledHandler } from '../src/runtime/scheduled-handler.js';

/** Scheduled (EventBridge, every 5 minutes): publishes outbox records left pending -> `sweepOutboxes`. */
export const handler = createScheduledHandler({ name: 'outbox-sweeper', run: runOutboxSweep });
