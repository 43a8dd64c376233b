import { describe, expect, it } from 'vitest';
import { isInvalidInputError } from '../../src/core/errors.js';
import { MULTICAST_MAC_TRACE, replay, TRACES, tableOf } from './traces.js';

describe('D11 mac-normalised: MACs are validated and lower-cased at the edge', () => {
  it('an upper-case MAC reaches the agents in lower case', async () => {
    const r = await replay(TRACES.D11);
    expect(tableOf(r, 'host2')['192.0.2.1']?.[1]).toEqual(['fa:16:3e:00:00:0a', '10.0.0.11']);
  });

  it('a multicast MAC is rejected for good (invalid_mac), so it never reaches an agent', async () => {
    const err = await replay(MULTICAST_MAC_TRACE).then(
      () => null,
      (e: unknown) => (e as Error).cause,
    );
    expect(isInvalidInputError(err) ? err.code : err).toBe('invalid_mac');
  });
});
