import type { CliIo } from '../../src/cli/cli-support.js';
import { totalRequests } from '../local/metering-proxy.js';
import { formatBlackHole, seconds, summarizeBlackHole } from '../sim/ab-summary.js';
import type { ProgressEvent } from '../sim/run-scenario.js';

type AbProgress = ProgressEvent | { stage: 'boot' | 'stack'; strategy?: string; ms: number };

/** One line per finished phase on stderr, so stdout keeps only the result. */
export function createProgress(io: CliIo, quiet: boolean): (e: AbProgress) => void {
  if (quiet) return () => {};
  return (e) => {
    if ('stage' in e) {
      io.err(`local servers up (DynamoDB Local, fauxqs, function bundles): ${(e.ms / 1000).toFixed(1)} s\n`);
      return;
    }
    const d = e.done;
    if (!d) return;
    const tag = `[${e.strategy} ${e.index + 1}/${e.total}]`;
    const f = d.failover ?? d.vipFailover;
    const failover = f
      ? `, convergence ${f.convergenceMs === null ? 'none needed' : seconds(f.convergenceMs)}, black-hole ${formatBlackHole(summarizeBlackHole(f.live))}`
      : '';
    io.err(
      `${tag} ${d.name}: ${d.events} events, ${d.sqs.messages} commands, ${totalRequests(d.dynamo)} DynamoDB requests, ` +
        `${seconds(d.durationMs)}${failover}: ${d.converged ? 'ok' : 'NOT CONVERGED'}\n`,
    );
  };
}
