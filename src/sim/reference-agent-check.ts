import { AgentCommandError } from '../../agent/agent-error.js';
import { parseAgentCommandBody } from '../../agent/parse-agent-command.js';

/**
 * Whether the reference agent (`agent/`) would refuse a command body, and why: the simulated agents
 * apply only what it accepts, so they are as strict as it is and a convergence test sees a fact
 * the controller accepted but an agent must refuse. Null when it accepts the command, or when the
 * agent has no tunnel IP (it receives nothing then) or the network is not VXLAN (the reference
 * agent programs VXLAN only; the simulated ones stand for any agent).
 */
export function referenceAgentRefusal(body: string, tunnelIp: string | null | undefined): string | null {
  if (!tunnelIp) return null;
  try {
    parseAgentCommandBody(body, tunnelIp);
    return null;
  } catch (err) {
    if (!(err instanceof AgentCommandError)) throw err;
    if (err.code === 'unsupported_network_type') return null;
    return `${err.code}: ${err.message.slice(0, 200)}`;
  }
}
