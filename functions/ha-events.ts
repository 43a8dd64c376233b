import { parseHaEvent } from '../src/contracts/parse.js';
import { createSqsHandler } from '../src/runtime/sqs-handler.js';

/** HA state reports, router scheduling and flag changes (FIFO, grouped by router id) -> `onHaChange` / `onFlagsSet`. */
export const handler = createSqsHandler({ name: 'ha-events', parse: parseHaEvent });
