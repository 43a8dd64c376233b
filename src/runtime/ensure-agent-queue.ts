import type { AgentEvent } from '../contracts/events.js';
import type { Runtime } from './runtime.js';

/**
 * Every agent event records when the host was last heard from (its queue's lifecycle, the agent
 * queue sweep). An agent's command queue exists from its first report on, before any command is
 * sent to it; a report resolves it afresh, so a host whose queue the sweep deleted gets a new one
 * even where this instance still caches the old URL.
 */
export async function ensureAgentQueue(rt: Runtime, event: AgentEvent): Promise<void> {
  await rt.agentSeen.touch(event.host, Date.now());
  if (event.type !== 'agent.report') return;
  rt.queues.forget(event.host);
  await rt.queues.url(event.host);
}
