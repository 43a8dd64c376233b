import { describe, expect, it } from 'vitest';
import { referenceAgentRefusal } from '../../tools/sim/reference-agent-check.js';

/** The simulated agents apply only what the reference agent accepts (tools/sim/sim-fleet.ts, test/support/queue-agents.ts). */
const snapshot = (networkType: string, entries: [string, string][], vtep = '192.0.2.2') =>
  JSON.stringify({
    v: 1,
    kind: 'snapshot',
    networkId: 'n1',
    version: 1,
    segment: { networkType, segmentId: 7 },
    part: { index: 0, count: 1 },
    fdb_entries: { n1: { segment_id: 7, network_type: networkType, ports: { [vtep]: entries } } },
  });

describe('simulated agents are as strict as the reference agent', () => {
  it('accept what it accepts', () => {
    const body = snapshot('vxlan', [
      ['00:00:00:00:00:00', '0.0.0.0'],
      ['fa:16:3e:00:00:01', '10.0.0.1'],
    ]);
    expect(referenceAgentRefusal(body, '192.0.2.1')).toBeNull();
  });

  it.each([
    ['a loopback fixed IP', snapshot('vxlan', [['fa:16:3e:00:00:01', '127.0.0.1']]), /^invalid_ip/],
    ['a broadcast fixed IP', snapshot('vxlan', [['fa:16:3e:00:00:01', '255.255.255.255']]), /^invalid_ip/],
    [
      'one IP behind two MACs',
      snapshot('vxlan', [
        ['fa:16:3e:00:00:01', '10.0.0.1'],
        ['fa:16:3e:00:00:02', '10.0.0.1'],
      ]),
      /^duplicate_ip/,
    ],
    [
      'entries behind its own VTEP',
      snapshot('vxlan', [['fa:16:3e:00:00:01', '10.0.0.1']], '192.0.2.1'),
      /^self_vtep/,
    ],
  ])('refuse %s', (_name, body, code) => {
    expect(referenceAgentRefusal(body, '192.0.2.1')).toMatch(code);
  });

  it('leave other network types to the agents that program them', () => {
    expect(
      referenceAgentRefusal(snapshot('gre', [['fa:16:3e:00:00:01', '10.0.0.1']]), '192.0.2.1'),
    ).toBeNull();
  });
});
