import { parseHaEvent } from '../src/contracts/parse.js';
import { createSqsHandler, sqsHandlerWithSeams } from '../src/runtime/sqs-handler.js';

const spec = { name: 'ha-events', parse: parseHaEvent };
/** HA state reports, router scheduling and flag changes (FIFO, grouped by router id) -> `onHaChange` / `onFlagsSet`. */
export const handler = createSqsHandler(spec);
/** The local stack's entry (fault injection); Lambda never calls it. */
export const withSeams = sqsHandlerWithSeams(spec);
