import type { AgentEvent } from '../contracts/events.js';
import type { Runtime } from './runtime.js';

/** An agent's command queue exists from its first report on, before any command is sent to it. */
export async function ensureAgentQueue(rt: Runtime, event: AgentEvent): Promise<void> {
  if (event.type === 'agent.report') await rt.queues.url(event.host);
}
