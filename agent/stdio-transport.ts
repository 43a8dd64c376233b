import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { type AgentTransport, createWakeup, type ReceivedCommand } from './agent-transport.js';

/**
 * Commands as JSON lines on `input`, events as JSON lines on `output`: how the data-plane harness
 * drives one agent process per host namespace without a queue service. Acknowledgement is a no-op
 * (a pipe does not redeliver); the agent's resync request is the recovery path instead.
 * When `input` closes, `receive` resolves `[]` from then on and `onClose` fires (stop the agent).
 */
export function createStdioTransport(
  input: Readable,
  output: Writable,
  onClose: () => void = () => {},
): AgentTransport & { readonly closed: boolean } {
  const lines: string[] = [];
  let closed = false;
  const { wake, wait } = createWakeup();
  let seq = 0;
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on('line', (line) => {
    if (line.trim() !== '') lines.push(line);
    wake();
  });
  rl.on('close', () => {
    closed = true;
    wake();
    onClose();
  });
  return {
    get closed() {
      return closed;
    },
    async receive(signal) {
      while (lines.length === 0 && !closed && !signal.aborted) await wait(signal);
      if (signal.aborted) return [];
      return lines
        .splice(0, lines.length)
        .map((body): ReceivedCommand => ({ body, receipt: `line${++seq}` }));
    },
    async ack() {},
    async send(event) {
      output.write(`${JSON.stringify(event)}\n`);
    },
  };
}
