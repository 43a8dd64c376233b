import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentQueueName } from '../../src/adapters/aws/agent-queues.js';
import { hostSchema } from '../../src/contracts/primitives.js';

const PREFIX = 'l2pop-prod-agent-cmd-';
/** SQS: 1-80 characters of letters, digits, `-` and `_`, then `.fifo` for a FIFO queue. */
const SQS_FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

/** Host names the contract accepts, from a small alphabet so sanitised forms collide often. */
const host = fc
  .tuple(
    fc.constantFrom('a', 'b', '1'),
    fc.array(fc.constantFrom('a', 'b', '1', '.', '_', '-'), { maxLength: 62 }),
  )
  .map(([first, rest]) => first + rest.join(''))
  .filter((h) => hostSchema.safeParse(h).success);

describe('agent command queue names', () => {
  it('give two hosts that differ only in `.` and `_` two queues', () => {
    expect(agentQueueName(PREFIX, 'cmp.1')).not.toBe(agentQueueName(PREFIX, 'cmp_1'));
    expect(agentQueueName(PREFIX, 'cmp-1')).toBe(`${PREFIX}cmp-1.fifo`);
    expect(agentQueueName(PREFIX, 'compute-7.example.net')).toMatch(
      /^l2pop-prod-agent-cmd-compute-7_example_net_[0-9a-f]{12}\.fifo$/,
    );
  });

  it('cannot be forged by a host named like another host altered name', () => {
    const altered = agentQueueName(PREFIX, 'cmp.1').slice(PREFIX.length, -'.fifo'.length);
    expect(agentQueueName(PREFIX, altered)).not.toBe(agentQueueName(PREFIX, 'cmp.1'));
  });

  it('map distinct hosts to distinct, valid SQS FIFO names under the prefix (any host the contract accepts)', () => {
    fc.assert(
      fc.property(
        host,
        host,
        fc.constantFrom(PREFIX, 'p-', 'a-very-long-stack-name-agent-cmd-'),
        (a, b, prefix) => {
          const na = agentQueueName(prefix, a);
          expect(na).toMatch(SQS_FIFO_NAME);
          expect(na.startsWith(prefix)).toBe(true);
          if (a !== b) expect(na).not.toBe(agentQueueName(prefix, b));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
