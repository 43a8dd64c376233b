import type { AgentTransport } from './agent-transport.js';
import type { Agent } from './create-agent.js';

/**
 * The agent's loop: report once, then receive, handle and acknowledge until `signal` aborts.
 * Messages are handled strictly in order. On a `failed` one the rest of the batch is left
 * unacknowledged too: in a FIFO queue they come back after it, in order, instead of being applied
 * before it (which would only turn into a version gap).
 */
export async function runAgent(agent: Agent, transport: AgentTransport, signal: AbortSignal): Promise<void> {
  await transport.send(agent.report());
  while (!signal.aborted) {
    const batch = await transport.receive(signal);
    for (const message of batch) {
      const outcome = await agent.handle(message.body, message.correlationId);
      if (outcome.kind === 'failed') break;
      await transport.ack(message);
    }
  }
}
