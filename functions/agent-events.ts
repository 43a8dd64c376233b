import { dispatchVipClaims, networkOfVipClaim } from '../src/app/dispatch.js';
import { parseAgentEvent } from '../src/contracts/parse.js';
import { ensureAgentQueue } from '../src/runtime/ensure-agent-queue.js';
import { createSqsHandler, sqsHandlerWithSeams } from '../src/runtime/sqs-handler.js';

const spec = {
  name: 'agent-events',
  parse: parseAgentEvent,
  prepare: ensureAgentQueue,
  coalesce: { keyOf: networkOfVipClaim, run: dispatchVipClaims },
};
/**
 * Agent reports and resync requests (FIFO, grouped by host) -> `onAgentReport` / `onAgentResync`;
 * a batch's `vip.claim`s of one network -> `onVipClaims`, one commit.
 */
export const handler = createSqsHandler(spec);
/** The local stack's entry (fault injection); Lambda never calls it. */
export const withSeams = sqsHandlerWithSeams(spec);
