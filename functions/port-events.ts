import { dispatchPortEvents, networkOfPortEvent } from '../src/app/dispatch.js';
import { parsePortQueueEvent } from '../src/contracts/parse.js';
import { createSqsHandler, sqsHandlerWithSeams } from '../src/runtime/sqs-handler.js';

const spec = {
  name: 'port-events',
  parse: parsePortQueueEvent,
  coalesce: { keyOf: networkOfPortEvent, run: dispatchPortEvents },
};
/**
 * Port bindings, status, IPs and deletes (FIFO, grouped by network id) -> `onPortChanges`, one commit
 * per network per batch; `network.rebuild` -> `onNetworkRebuild`, on its own.
 */
export const handler = createSqsHandler(spec);
/** The local stack's entry (fault injection); Lambda never calls it. */
export const withSeams = sqsHandlerWithSeams(spec);
