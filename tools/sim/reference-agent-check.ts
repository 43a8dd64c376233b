import { createStrictAgents, type StrictOutcome } from './strict-agents.js';

/**
 * Why the reference agent (`agent/`) refused a command or some entries of it, from what became of
 * it at a strict simulated agent (strict-agents.ts); null when it took all of it, or only waits
 * for a VNI another network still holds. A refused entry still means the controller sent a fact
 * an agent cannot hold, so it is reported here like a refused command: convergence tests see a
 * fact the controller accepted but an agent must refuse.
 */
export function describeRefusal(outcome: StrictOutcome): string | null {
  if (outcome.kind === 'rejected')
    return outcome.waiting ? null : `${outcome.code}: ${outcome.message.slice(0, 200)}`;
  const refused = 'refused' in outcome ? outcome.refused : [];
  const first = refused[0];
  if (!first) return null;
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more entries)` : '';
  return `${first.code}: entry ${first.vtep} ${first.mac} ${first.ip}: ${first.reason.slice(0, 200)}${more}`;
}

/**
 * Whether the reference agent would refuse one command body, or any entry of it, on its own (an
 * agent that holds nothing yet), and why. Null also when the agent has no tunnel IP (it receives
 * nothing then) or the network is not VXLAN (the reference agent programs VXLAN only; the
 * simulated ones stand for any agent).
 */
export function referenceAgentRefusal(body: string, tunnelIp: string | null | undefined): string | null {
  if (!tunnelIp) return null;
  return describeRefusal(createStrictAgents().deliver('check', tunnelIp, body));
}
