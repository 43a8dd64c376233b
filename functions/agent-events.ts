import { parseAgentEvent } from '../src/contracts/parse.js';
import { ensureAgentQueue } from '../src/runtime/ensure-agent-queue.js';
import { createSqsHandler } from '../src/runtime/sqs-handler.js';

/** Agent reports and resync requests (FIFO, grouped by host) -> `onAgentReport` / `onAgentResync`. */
export const handler = createSqsHandler({
  name: 'agent-events',
  parse: parseAgentEvent,
  prepare: ensureAgentQueue,
});
