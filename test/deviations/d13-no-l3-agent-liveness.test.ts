import { describe, expect, it } from 'vitest';
import { computeMaster } from '../../src/core/ha.js';
import { recordHaSchedule, recordHaState } from '../../src/core/transitions.js';
import type { HaRouter } from '../../src/core/types.js';

function applied(r: ReturnType<typeof recordHaState>): HaRouter {
  if (r.kind !== 'applied') throw new Error('stale');
  return r.value;
}

describe('D13 no-l3-agent-liveness: an active claim stands until a newer claim', () => {
  it('the master stays the last claimant (its agent may be dead) until the survivor claims active', () => {
    let r = applied(recordHaSchedule(undefined, 'r1', ['n1', 'n2'], 1));
    r = applied(recordHaState(r, 'r1', 'n1', 'active', { term: 0, seq: 1 }));
    r = applied(recordHaState(r, 'r1', 'n2', 'standby', { term: 0, seq: 2 }));
    expect(computeMaster(r)).toEqual({ master: 'n1', activeHosts: ['n1'], splitBrain: false });
    r = applied(recordHaState(r, 'r1', 'n2', 'active', { term: 0, seq: 3 }));
    expect(computeMaster(r)).toEqual({ master: 'n2', activeHosts: ['n1', 'n2'], splitBrain: true });
  });
});
