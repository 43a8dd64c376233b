import { describe, expect, it } from 'vitest';
import { applyAgentCommand, type HeldNetwork } from '../../src/core/agent-protocol.js';
import type { PlannedCommand } from '../../src/core/commands.js';
import { FLOODING_ENTRY } from '../../src/core/entries.js';

const segment = { networkType: 'vxlan', segmentId: 1001 };
const held: HeldNetwork = {
  version: 1,
  table: { '192.0.2.1': [FLOODING_ENTRY, ['fa:16:3e:00:00:01', '10.0.0.6']] },
};

describe('applyAgentCommand scopes a payload to the command network', () => {
  // Regression: the payload parts of other networks used to be merged into this network's table.
  it('applies only the entries keyed by the command network from a payload naming several networks', () => {
    const command: PlannedCommand = {
      v: 1,
      kind: 'delta',
      networkId: 'net-a',
      version: 2,
      base: 1,
      segment,
      payloads: [
        {
          method: 'update_fdb_entries',
          fdb_entries: {
            chg_ip: {
              'net-a': {
                '192.0.2.1': {
                  before: [['fa:16:3e:00:00:01', '10.0.0.6']],
                  after: [['fa:16:3e:00:00:01', '10.0.0.7']],
                },
              },
              'net-b': { '192.0.2.1': { before: [['fa:16:3e:00:00:01', '10.0.0.7']] } },
            },
          },
        },
        {
          method: 'add_fdb_entries',
          fdb_entries: {
            'net-a': { segment_id: 1001, network_type: 'vxlan', ports: { '192.0.2.2': [FLOODING_ENTRY] } },
            'net-b': { segment_id: 1002, network_type: 'vxlan', ports: { '192.0.2.3': [FLOODING_ENTRY] } },
          },
        },
      ],
    };
    expect(applyAgentCommand(held, command)).toEqual({
      action: 'applied',
      state: {
        version: 2,
        table: {
          '192.0.2.1': [FLOODING_ENTRY, ['fa:16:3e:00:00:01', '10.0.0.7']],
          '192.0.2.2': [FLOODING_ENTRY],
        },
      },
    });
  });

  it('builds a snapshot from the command network only', () => {
    const command: PlannedCommand = {
      v: 1,
      kind: 'snapshot',
      networkId: 'net-a',
      version: 3,
      segment,
      part: { index: 0, count: 1 },
      fdb_entries: {
        'net-a': { segment_id: 1001, network_type: 'vxlan', ports: { '192.0.2.2': [FLOODING_ENTRY] } },
        'net-b': { segment_id: 1002, network_type: 'vxlan', ports: { '192.0.2.3': [FLOODING_ENTRY] } },
      },
    };
    expect(applyAgentCommand(held, command).state?.table).toEqual({ '192.0.2.2': [FLOODING_ENTRY] });
  });
});

describe("applyAgentCommand decides versions with the reference agent's gate (src/core/version-gate.ts)", () => {
  const delta = (version: number, base: number): PlannedCommand => ({
    v: 1,
    kind: 'delta',
    networkId: 'net-a',
    version,
    base,
    segment,
    payloads: [
      {
        method: 'add_fdb_entries',
        fdb_entries: {
          'net-a': { segment_id: 1001, network_type: 'vxlan', ports: { '192.0.2.2': [FLOODING_ENTRY] } },
        },
      },
    ],
  });

  it('applies the first delta of a never-held network at base 0, as the kernel agent does', () => {
    expect(applyAgentCommand(undefined, delta(1, 0))).toEqual({
      state: { version: 1, table: { '192.0.2.2': [FLOODING_ENTRY] } },
      action: 'applied',
    });
  });

  it('calls any other first delta a gap, and ignores what is not newer than what it holds', () => {
    expect(applyAgentCommand(undefined, delta(3, 2)).action).toBe('gap');
    expect(applyAgentCommand(held, delta(3, 2)).action).toBe('gap');
    expect(applyAgentCommand(held, delta(1, 0))).toEqual({ state: held, action: 'ignored' });
    const leave: PlannedCommand = { v: 1, kind: 'leave', networkId: 'net-a', version: 1 };
    expect(applyAgentCommand(held, leave).action).toBe('ignored');
  });
});
