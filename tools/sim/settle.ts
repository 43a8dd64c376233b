import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepth as depth } from '../../src/adapters/aws/inbound-queues.js';
import type { AgentTable } from '../../src/core/types.js';
import type { FactOracle } from './fact-oracle.js';
import type { SimFleet } from './sim-fleet.js';

const same = (a: AgentTable, b: AgentTable) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every live agent's tables against the desired state the core computes from the facts sent so
 * far (an independent fold, not what the controller stored). Empty: converged. Agents whose node
 * is down are left out; they catch up when they come back.
 */
export function findMismatches(oracle: FactOracle, fleet: SimFleet): string[] {
  const out: string[] = [];
  const live = new Set(fleet.liveHosts());
  for (const [networkId, views] of oracle.desired()) {
    for (const host of oracle.hosts()) {
      if (!live.has(host)) continue;
      const want = views.get(host) ?? {};
      const got = fleet.table(host, networkId);
      if (!same(want, got))
        out.push(`${host}/${networkId}: want ${JSON.stringify(want)} got ${JSON.stringify(got)}`);
    }
  }
  return out;
}

export interface SettleOptions {
  readonly sqs: SQSClient;
  readonly inboundUrls: readonly string[];
  readonly oracle: FactOracle;
  readonly fleet: SimFleet;
  readonly timeoutMs: number;
  /** How long the agents must have received nothing (their long polls answer within milliseconds). */
  readonly quietMs?: number;
  readonly now?: () => number;
}

/**
 * Waits until the controller and the agents are quiet: no inbound message queued or in flight,
 * no agent receiving, nothing left in a live agent's queue, and every live agent equal to the
 * desired state. Returns the mismatches left at the deadline (empty when it converged).
 */
export async function settle(o: SettleOptions): Promise<{ converged: boolean; mismatches: string[] }> {
  const now = o.now ?? (() => performance.now());
  const quiet = o.quietMs ?? 250;
  const deadline = now() + o.timeoutMs;
  let mismatches: string[] = [];
  for (;;) {
    const inbound = (await Promise.all(o.inboundUrls.map((u) => depth(o.sqs, u)))).reduce((a, b) => a + b, 0);
    if (inbound === 0 && now() - o.fleet.lastActivity() >= quiet) {
      mismatches = findMismatches(o.oracle, o.fleet);
      if (mismatches.length === 0) {
        const urls = o.fleet.liveHosts().flatMap((h) => o.fleet.queueUrlOf(h) ?? []);
        const left = (await Promise.all(urls.map((u) => depth(o.sqs, u)))).reduce((a, b) => a + b, 0);
        if (left === 0) return { converged: true, mismatches };
      }
    }
    if (now() > deadline) return { converged: false, mismatches };
    await new Promise((r) => setTimeout(r, 100));
  }
}
