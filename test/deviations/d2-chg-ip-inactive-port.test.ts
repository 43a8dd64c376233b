import { describe, expect, it } from 'vitest';
import { prefix, replay, TRACES, tableOf } from './traces.js';

describe('D2 chg-ip-inactive-port: a fixed-IP change of a port that is not ACTIVE sends nothing', () => {
  it('the IP change of the DOWN port vm3 reaches no agent, and no agent holds an entry for it', async () => {
    const before = await replay(prefix(TRACES.D2, TRACES.D2.steps.length - 1));
    const after = await replay(TRACES.D2);
    expect(after.agents.log.length).toBe(before.agents.log.length);
    const macs = Object.values(tableOf(after, 'host1'))
      .flat()
      .map((e) => e[0]);
    expect(macs).not.toContain('fa:16:3e:00:00:03');
  });
});
