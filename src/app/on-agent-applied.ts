import type { AgentAppliedEvent } from '../contracts/events.js';
import type { Deps, EventResult } from './reconcile.js';

/**
 * `agent.applied`: records what the agent holds for the operator's view. It changes no fact and
 * plans no command; a report older than what is recorded (same boot, lower version) is stale.
 */
export async function onAgentApplied(deps: Deps, event: AgentAppliedEvent): Promise<EventResult> {
  const recorded = deps.applied
    ? await deps.applied.record(event.host, event.bootId, event.networks, event.at)
    : 0;
  return {
    outcome: recorded > 0 ? 'applied' : Object.keys(event.networks).length === 0 ? 'unchanged' : 'stale',
    networks: [],
    splitBrain: [],
    strategies: {},
  };
}
