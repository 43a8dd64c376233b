import { AgentCommandError } from '../../agent/agent-error.js';
import { parseAgentCommandBody } from '../../agent/parse-agent-command.js';

/**
 * Whether the reference agent (`agent/`) would refuse a command body or any entry of it, and why: the simulated agents
 * apply only what it accepts, so they are as strict as it is and a convergence test sees a fact
 * the controller accepted but an agent must refuse. Null when it accepts the command, or when the
 * agent has no tunnel IP (it receives nothing then) or the network is not VXLAN (the reference
 * agent programs VXLAN only; the simulated ones stand for any agent). The reference agent applies
 * a command minus the entries it refuses; a refused entry still means the controller sent a fact
 * an agent cannot hold, so it is reported here like a refused command.
 */
export function referenceAgentRefusal(body: string, tunnelIp: string | null | undefined): string | null {
  if (!tunnelIp) return null;
  try {
    const cmd = parseAgentCommandBody(body, tunnelIp);
    const first = cmd.kind === 'leave' ? undefined : cmd.refused[0];
    if (!first || cmd.kind === 'leave') return null;
    const more = cmd.refused.length > 1 ? ` (and ${cmd.refused.length - 1} more entries)` : '';
    return `${first.code}: entry ${first.vtep} ${first.mac} ${first.ip}: ${first.reason.slice(0, 200)}${more}`;
  } catch (err) {
    if (!(err instanceof AgentCommandError)) throw err;
    if (err.code === 'unsupported_network_type') return null;
    return `${err.code}: ${err.message.slice(0, 200)}`;
  }
}
