import { describe, expect, it } from 'vitest';
import { measureOutage, type Reply } from './measure-outage.js';

/** Replies every `every` ms over [from, to), skipping [holeFrom, holeTo). */
function replies(from: number, to: number, every: number, holes: [number, number][] = []): Reply[] {
  const out: Reply[] = [];
  for (let t = from, seq = 1; t < to; t += every, seq++) {
    if (!holes.some(([a, b]) => t >= a && t < b)) out.push({ t, seq });
  }
  return out;
}

describe('measureOutage', () => {
  it('measures from the last reply before the failure to the first one after it', () => {
    const m = measureOutage(replies(0, 5000, 16, [[2000, 2816]]), 2000, 5000);
    expect(m).toMatchObject({ intervalMs: 16, recovered: true, gaps: 1 });
    expect(m.outageMs).toBe(2816 - 1984);
  });

  it('calls silence until the end of the observation window no recovery', () => {
    const m = measureOutage(replies(0, 2000, 16), 2000, 8000);
    expect(m).toMatchObject({ recovered: false, outageMs: null, firstAfterMs: null });
  });

  it('counts a flap as part of the outage and as a second gap', () => {
    const m = measureOutage(
      replies(0, 6000, 16, [
        [2000, 2800],
        [3000, 3500],
      ]),
      2000,
      6000,
    );
    expect(m.gaps).toBe(2);
    expect(m.outageMs).toBe(3504 - 1984);
  });

  it('needs a steady tail before it calls the traffic recovered', () => {
    expect(measureOutage(replies(0, 3000, 16, [[2000, 2900]]), 2000, 3000).recovered).toBe(false);
  });

  it('ignores gaps that ended before the failure', () => {
    const m = measureOutage(
      replies(0, 5000, 16, [
        [500, 900],
        [2000, 2400],
      ]),
      2000,
      5000,
    );
    expect(m.gaps).toBe(1);
    expect(m.outageMs).toBe(2400 - 1984);
  });
});
