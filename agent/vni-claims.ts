import { AgentCommandError } from './agent-error.js';

/** What the VNI rules need of a held network: its segment, and whether it was left. */
export interface HeldSegment {
  readonly vni: number | null;
  readonly left: boolean;
}

/**
 * A delta for another segment than the network's device holds cannot apply on top of it: the
 * agent treats it as a gap and asks for a snapshot.
 */
export function movesSegment(held: HeldSegment | undefined, vni: number): boolean {
  return held !== undefined && !held.left && held.vni !== null && held.vni !== vni;
}

/**
 * One network per VNI on an agent: a VNI has one device, so a second network naming it is refused
 * (`segment_mismatch`) until the first one gives it up. Neutron can give a deleted network's
 * segment to a new one, and the two are two FIFO groups of the agent's queue, so the new network's
 * snapshot may come before the old one's `leave`; the refused network is remembered as waiting,
 * and once the VNI is free the agent asks for it again: nothing else would (it holds nothing of it,
 * so no later delta shows a gap). The reference agent (create-agent.ts) and the strict simulated
 * agents (tools/sim/strict-agents.ts) keep these rules with this one class.
 */
export class VniClaims {
  readonly #owner = new Map<number, string>();
  readonly #waiting = new Map<number, string>();

  /**
   * Throws `segment_mismatch` while another network holds `vni`. Else returns the VNI the network
   * held before (`held`) and gives up now, for the caller to drop (its device, then `free`) before
   * it calls `own`; null when there is none.
   */
  claim(networkId: string, vni: number, held: HeldSegment | undefined): number | null {
    const owner = this.#owner.get(vni);
    if (owner !== undefined && owner !== networkId) {
      this.#waiting.set(vni, networkId);
      throw new AgentCommandError('segment_mismatch', `VNI ${vni} already carries network ${owner}`);
    }
    return movesSegment(held, vni) ? (held?.vni ?? null) : null;
  }

  /** `networkId` holds `vni` from now on (after `claim`, once the VNI it gave up is dropped). */
  own(networkId: string, vni: number): void {
    this.#owner.set(vni, networkId);
  }

  /** Frees `vni` (its device is going). */
  free(vni: number): void {
    this.#owner.delete(vni);
  }

  /** The network refused for `vni` while it was taken, to ask for again now that it is free. */
  takeWaiting(vni: number): string | undefined {
    const waiting = this.#waiting.get(vni);
    this.#waiting.delete(vni);
    return waiting;
  }
}
