import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentCommandSchema } from '../../src/contracts/commands.js';
import { parseInboundEvent } from '../../src/contracts/parse.js';
import { applyAgentCommand, isFloodingEntry } from '../../src/core/agent-protocol.js';
import type { PlannedCommand } from '../../src/core/commands.js';
import { computeAgentTable } from '../../src/core/desired.js';
import { FLOODING_ENTRY } from '../../src/core/entries.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import { DEFAULT_FLAGS } from '../../src/core/flags.js';
import { OWNER } from '../../src/core/owners.js';
import { planSnapshotPayload } from '../../src/core/payloads.js';
import type { Agent, Entry, Network, NetworkFacts, Port } from '../../src/core/types.js';
import { replayTrace } from '../../tools/replay/replay.js';
import { deviationLabel } from '../deviations/ids.js';
import { loadRawVectors } from './vectors.js';

/**
 * Conformance vectors S33-S38: the full-FDB builder, the tunnel list, the wire format and device
 * names. A "full FDB" is what a joining agent's snapshot carries: `computeAgentTable`.
 */

const raw = loadRawVectors();
const REQUESTER_IP = '192.0.2.9';

const builderSchema = z.object({
  id: z.string(),
  name: z.string(),
  input: z.object({
    requesting_host: z.string(),
    segment: z.object({ segmentation_id: z.number(), network_type: z.string() }).optional(),
    distributed_or_ha_vteps: z.array(z.object({ host: z.string(), ip: z.string() })),
    active_ports: z.array(
      z.object({
        host: z.string(),
        ip: z.string(),
        mac: z.string().optional(),
        ips: z.array(z.string()).optional(),
        port: z.null().optional(),
      }),
    ),
  }),
  expected_result: z.object({
    segment_id: z.number(),
    network_type: z.string(),
    ports: z.record(z.string(), z.array(z.union([z.literal('FLOOD'), z.tuple([z.string(), z.string()])]))),
  }),
});
type BuilderVector = z.infer<typeof builderSchema>;

function vector<T>(id: string, schema: z.ZodType<T>): T {
  return schema.parse(raw.get(id));
}

function agent(host: string, tunnelIp: string | null): Agent {
  return {
    host,
    tunnelIp,
    agentType: 'Open vSwitch agent',
    networkTypes: ['vxlan'],
    capabilities: { learning: true, arp: 'responder' },
    bootId: `${host}-1`,
    revision: 1,
  };
}

function port(id: string, host: string, mac: string, ips: string[], extra: Partial<Port> = {}): Port {
  return {
    id,
    networkId: 'net1',
    mac,
    ips,
    deviceOwner: 'compute:nova',
    deviceId: `vm-${id}`,
    host,
    status: 'ACTIVE',
    dvrHosts: [],
    revision: 1,
    ...extra,
  };
}

function networkOf(v: BuilderVector): Network {
  const s = v.input.segment ?? { segmentation_id: 1, network_type: 'vxlan' };
  return { id: 'net1', name: 'net1', networkType: s.network_type, segmentId: s.segmentation_id };
}

/** The builder's input as facts: DVR/HA VTEPs through a DVR interface, a vanished port left out. */
function builderFacts(v: BuilderVector): NetworkFacts {
  const { input } = v;
  const agents = new Map<string, Agent>([
    [input.requesting_host, agent(input.requesting_host, REQUESTER_IP)],
  ]);
  const ports: Port[] = [port('requester', input.requesting_host, 'fa:16:3e:99:00:01', [])];
  input.distributed_or_ha_vteps.forEach((t, i) => {
    agents.set(t.host, agent(t.host, t.ip));
    ports.push(
      port(`dvr${i}`, '', `fa:16:3e:dd:00:0${i}`, [], {
        deviceOwner: OWNER.dvrInterface,
        dvrHosts: [t.host],
      }),
    );
  });
  input.active_ports.forEach((p, i) => {
    agents.set(p.host, agent(p.host, p.ip));
    // `port: null`: the binding's port was deleted while the query ran; a deleted port is no fact
    if (p.port !== null) ports.push(port(`p${i}`, p.host, p.mac ?? '', p.ips ?? []));
  });
  return { network: networkOf(v), agents, ports, routers: new Map(), flags: DEFAULT_FLAGS };
}

function expectedPayload(v: BuilderVector, lowerCase = false) {
  const ports: Record<string, Entry[]> = {};
  for (const [ip, list] of Object.entries(v.expected_result.ports)) {
    ports[ip] = list.map((e) =>
      e === 'FLOOD' ? FLOODING_ENTRY : [lowerCase ? e[0].toLowerCase() : e[0], e[1]],
    );
  }
  return { segment_id: v.expected_result.segment_id, network_type: v.expected_result.network_type, ports };
}

/** The same builder input through the whole stack: the requester joins last and gets a snapshot. */
async function snapshotThroughReplay(v: BuilderVector) {
  const { input } = v;
  const agents = [{ host: input.requesting_host, tunnel_ip: REQUESTER_IP, tunnel_types: ['vxlan'] }];
  const steps: unknown[] = [];
  input.distributed_or_ha_vteps.forEach((t, i) => {
    agents.push({ host: t.host, tunnel_ip: t.ip, tunnel_types: ['vxlan'] });
    steps.push({
      op: 'create_port',
      port: `dvr${i}`,
      network: 'net1',
      mac: `fa:16:3e:dd:00:0${i}`,
      ips: [],
      device_owner: OWNER.dvrInterface,
      dvr_hosts: [t.host],
    });
  });
  input.active_ports.forEach((p, i) => {
    if (!agents.some((a) => a.host === p.host))
      agents.push({ host: p.host, tunnel_ip: p.ip, tunnel_types: ['vxlan'] });
    const name = `p${i}`;
    steps.push(
      {
        op: 'create_port',
        port: name,
        network: 'net1',
        host: p.host,
        mac: p.mac ?? `fa:16:3e:00:00:${10 + i}`,
        ips: p.ips ?? [],
      },
      { op: 'port_up', port: name },
    );
    if (p.port === null) steps.push({ op: 'delete_port', port: name });
  });
  steps.push(
    {
      op: 'create_port',
      port: 'requester',
      network: 'net1',
      host: input.requesting_host,
      mac: 'fa:16:3e:99:00:01',
      ips: [],
    },
    { op: 'port_up', port: 'requester' },
  );
  const net = networkOf(v);
  const r = await replayTrace(
    {
      agents,
      networks: [{ name: 'net1', id: 'net1', network_type: net.networkType, segmentation_id: net.segmentId }],
      steps,
    },
    { strategy: 'tunnel' },
  );
  const snapshot = r.messages[input.requesting_host]?.at(-1);
  return snapshot?.kind === 'snapshot' ? snapshot.fdb_entries.net1 : undefined;
}

describe('conformance vectors S33-S35: the full FDB a joining agent gets', () => {
  for (const id of ['S33', 'S34', 'S35']) {
    const v = vector(id, builderSchema);
    const mixedCase = Object.values(v.expected_result.ports)
      .flat()
      .some((e) => e !== 'FLOOD' && e[0] !== e[0].toLowerCase());
    const tag = mixedCase ? ` (ours: ${deviationLabel('D11')}, the edge lower-cases the MAC)` : '';
    it(`${id} ${v.name}${tag}`, async () => {
      const facts = builderFacts(v);
      const table = computeAgentTable(facts, v.input.requesting_host);
      expect(planSnapshotPayload(facts.network, table).net1).toEqual(expectedPayload(v));
      expect(await snapshotThroughReplay(v)).toEqual(expectedPayload(v, true));
    });
  }
});

const tunnelListSchema = z.object({
  id: z.string(),
  name: z.string(),
  cases: z.array(
    z.object({
      agents: z.array(z.object({ host: z.string(), ip: z.string().nullable() })),
      exclude_host: z.string(),
      expected: z.record(z.string(), z.array(z.literal('FLOOD'))),
    }),
  ),
});

describe('conformance vector S36: the VTEP list', () => {
  const v = vector('S36', tunnelListSchema);
  it(`S36 ${v.name}`, () => {
    for (const c of v.cases) {
      const agents = new Map<string, Agent>([[c.exclude_host, agent(c.exclude_host, REQUESTER_IP)]]);
      const ports: Port[] = [port('requester', c.exclude_host, 'fa:16:3e:99:00:01', [])];
      c.agents.forEach((a, i) => {
        if (a.host !== c.exclude_host) agents.set(a.host, agent(a.host, a.ip));
        ports.push(port(`p${i}`, a.host, `fa:16:3e:00:00:0${i}`, []));
      });
      const facts: NetworkFacts = {
        network: { id: 'net1', name: 'net1', networkType: 'vxlan', segmentId: 1 },
        agents,
        ports,
        routers: new Map(),
        flags: DEFAULT_FLAGS,
      };
      const expected = Object.fromEntries(Object.entries(c.expected).map(([ip]) => [ip, [FLOODING_ENTRY]]));
      expect(computeAgentTable(facts, c.exclude_host), JSON.stringify(c)).toEqual(expected);
    }
  });
});

const wireSchema = z.object({
  id: z.string(),
  name: z.string(),
  wire_in: z.object({ chg_ip: z.record(z.string(), z.unknown()) }).catchall(z.unknown()),
});

describe('conformance vector S37: the wire format', () => {
  const v = vector('S37', wireSchema);
  const { chg_ip, ...networks } = v.wire_in;
  const command = {
    v: 1,
    kind: 'delta',
    networkId: 'foouuid',
    version: 2,
    base: 1,
    segment: { networkType: 'vxlan', segmentId: 1001 },
    payloads: [
      { method: 'update_fdb_entries', fdb_entries: { chg_ip } },
      { method: 'add_fdb_entries', fdb_entries: networks },
    ],
  } as unknown as PlannedCommand;

  it(`S37 ${v.name} (ours: ${deviationLabel('D11')}, the strict schema refuses the multicast MAC Neutron passes through)`, () => {
    // [mac, ip] travels as a 2-element JSON list and comes back as the same pair
    const wire = JSON.parse(JSON.stringify(command)) as PlannedCommand;
    expect(wire).toEqual(command);
    const flood =
      wire.kind === 'delta' && wire.payloads[1]?.method === 'add_fdb_entries'
        ? wire.payloads[1].fdb_entries.foouuid?.ports['192.168.0.10']?.[0]
        : undefined;
    expect(flood).toEqual(FLOODING_ENTRY);
    expect(flood && isFloodingEntry(flood)).toBe(true);
    // the agent rebuilds its table from the pairs; the foouuid2 part is another network's
    const held = {
      version: 1,
      table: {
        '192.168.0.1': [['fa:16:3e:ff:8c:0f', '10.0.0.6']] as Entry[],
        '192.168.0.2': [['fa:16:3e:ff:8c:0e', '10.0.0.8']] as Entry[],
      },
    };
    expect(applyAgentCommand(held, wire).state?.table).toEqual({
      '192.168.0.1': [['fa:16:3e:ff:8c:0f', '10.0.0.7']],
      '192.168.0.10': [FLOODING_ENTRY, ['fa:16:3e:ff:8c:0f', '10.0.0.6']],
    });
    // D11: ff:16:3e:ff:8c:0e (foouuid2) is a multicast MAC, which our outbound schema refuses
    expect(agentCommandSchema.safeParse(wire).success).toBe(false);
    const own = {
      ...command,
      payloads: [
        {
          method: 'update_fdb_entries',
          fdb_entries: { chg_ip: { foouuid: (chg_ip as Record<string, unknown>).foouuid } },
        },
      ],
    };
    expect(agentCommandSchema.safeParse(own).success).toBe(true);
  });
});

describe('conformance vector S38: device names', () => {
  const v = vector('S38', z.object({ id: z.string(), name: z.string() }));
  it(`S38 ${v.name} (ours: ${deviationLabel('D12')}, events name a port by its id only)`, () => {
    const body = (portFields: Record<string, unknown>) =>
      JSON.stringify({
        type: 'port.upsert',
        v: 1,
        network: { id: 'net1', networkType: 'vxlan', segmentId: 1 },
        port: {
          networkId: 'net1',
          mac: 'fa:16:3e:00:00:01',
          ips: ['10.0.0.3'],
          deviceOwner: 'compute:nova',
          deviceId: 'vm1',
          host: 'h1',
          status: 'ACTIVE',
          revision: 1,
          ...portFields,
        },
      });
    const id = '0f8d6a64-9a1e-4f8b-9c1e-2b4d5e6f7a8b';
    const parsed = parseInboundEvent(body({ id }));
    expect(parsed.type === 'port.upsert' ? parsed.port.id : null).toBe(id);
    for (const device of [`tap${id.slice(0, 11)}`, 'fa:16:3e:00:00:01']) {
      let code: string | null = null;
      try {
        parseInboundEvent(body({ device }));
      } catch (err) {
        code = isInvalidInputError(err) ? err.code : String(err);
      }
      expect(code, device).toBe('invalid_message');
    }
  });
});
