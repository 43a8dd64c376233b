import { parsePortEvent } from '../src/contracts/parse.js';
import { createSqsHandler } from '../src/runtime/sqs-handler.js';

/** Port bindings, status, IPs and deletes (FIFO, grouped by network id) -> `onPortChange`. */
export const handler = createSqsHandler({ name: 'port-events', parse: parsePortEvent });
