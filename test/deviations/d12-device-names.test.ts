import { describe, expect, it } from 'vitest';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { isInvalidInputError } from '../../src/core/errors.js';

describe('D12 device-names: inbound events name a port by its id; agent device names are not resolved here', () => {
  it('a port event carrying a tap device name instead of the port id is rejected (invalid_message)', () => {
    const body = JSON.stringify({
      type: 'port.delete',
      v: 1,
      device: 'tap0f8d6a64-9a',
      networkId: 'net1',
      revision: 2,
    });
    let code: unknown = null;
    try {
      parseInboundEvent(body);
    } catch (err) {
      code = isInvalidInputError(err) ? err.code : err;
    }
    expect(code).toBe('invalid_message');
  });
});
