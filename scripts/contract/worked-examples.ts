/**
 * The worked examples of docs/integration.md, run through the real use-cases (dispatchEvent on the
 * in-memory store, the same rules as DynamoDB: test/runtime/fact-store.contract.test.ts), so the
 * commands the document shows are the ones the controller sends. `npm run contract` writes them
 * between the markers of docs/integration.md; the contract test fails when they drift.
 */
import { createMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { dispatchEvent } from '../../src/app/dispatch.js';
import type { CommandPublisher } from '../../src/app/ports.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import type { AddressedCommand } from '../../src/core/commands.js';

const NETWORK = { id: 'net-a', name: 'tenant-a', networkType: 'vxlan', segmentId: 1001 } as const;

const report = (host: string, tunnelIp: string, bootId: string, revision: number): InboundEvent => ({
  type: 'agent.report',
  v: 1,
  host,
  tunnelIp,
  agentType: 'Open vSwitch agent',
  networkTypes: ['vxlan'],
  capabilities: { learning: false, arp: 'responder' },
  bootId,
  revision,
});

function port(
  id: string,
  host: string,
  mac: string,
  ip: string,
  over: { deviceOwner?: string; deviceId?: string; status?: 'ACTIVE' | 'DOWN'; revision?: number } = {},
): InboundEvent {
  return {
    type: 'port.upsert',
    v: 1,
    network: NETWORK,
    port: {
      id,
      networkId: NETWORK.id,
      mac,
      ips: [ip],
      deviceOwner: over.deviceOwner ?? 'compute:nova',
      deviceId: over.deviceId ?? `instance-${id}`,
      host,
      status: over.status ?? 'ACTIVE',
      dvrHosts: [],
      revision: over.revision ?? 1,
    },
  };
}

const haState = (host: string, state: 'active' | 'standby', seq: number): InboundEvent => ({
  type: 'ha.state',
  v: 1,
  routerId: 'router-1',
  host,
  state,
  term: 0,
  seq,
});

export interface ExampleStep {
  readonly event: InboundEvent;
  readonly commands: readonly AddressedCommand[];
}

export interface WorkedExample {
  readonly title: string;
  readonly intro: string;
  /** Events sent before the example, whose commands are not shown. */
  readonly setup: readonly InboundEvent[];
  readonly steps: readonly ExampleStep[];
}

const SETUP: InboundEvent[] = [
  {
    type: 'flags.set',
    v: 1,
    flags: { defaultStrategy: 'master-binding', rollout: null, networks: {}, routers: {} },
    revision: 1,
  },
  report('compute-1', '192.0.2.11', 'boot-c1-a', 1),
  report('compute-2', '192.0.2.12', 'boot-c2-a', 1),
  report('network-1', '192.0.2.21', 'boot-n1-a', 1),
  report('network-2', '192.0.2.22', 'boot-n2-a', 1),
  port('vm-2', 'compute-2', 'fa:16:3e:00:00:02', '10.0.0.12'),
];

const HA_SETUP: InboundEvent[] = [
  { type: 'ha.schedule', v: 1, routerId: 'router-1', hosts: ['network-1', 'network-2'], revision: 1 },
  haState('network-1', 'active', 1),
  haState('network-2', 'standby', 2),
  port('router-1-if', 'network-1', 'fa:16:3e:00:00:01', '10.0.0.1', {
    deviceOwner: 'network:ha_router_replicated_interface',
    deviceId: 'router-1',
  }),
];

/** Runs each example from an empty store and records the commands of each shown step. */
export async function runWorkedExamples(): Promise<WorkedExample[]> {
  const run = async (
    title: string,
    intro: string,
    setup: InboundEvent[],
    shown: InboundEvent[],
  ): Promise<WorkedExample> => {
    const store = createMemoryStore({ now: () => 0 });
    let sent: AddressedCommand[] = [];
    const publisher: CommandPublisher = {
      publish: async (record) => void sent.push(...record.commands),
    };
    for (const e of setup) await dispatchEvent({ store, publisher }, e);
    const steps: ExampleStep[] = [];
    for (const event of shown) {
      sent = [];
      await dispatchEvent({ store, publisher }, event);
      steps.push({ event, commands: sent });
    }
    return { title, intro, setup, steps };
  };
  return [
    await run(
      'A VM boots',
      'Four agents have reported and `vm-2` runs on compute-2. Nova creates `vm-1` on compute-1: Neutron binds the port (DOWN, revision 1), then the agent wires it up and the port goes ACTIVE (revision 2). Only the ACTIVE port counts.',
      SETUP,
      [
        port('vm-1', 'compute-1', 'fa:16:3e:00:00:03', '10.0.0.11', { status: 'DOWN', revision: 1 }),
        port('vm-1', 'compute-1', 'fa:16:3e:00:00:03', '10.0.0.11', { revision: 2 }),
      ],
    ),
    await run(
      'An HA router fails over (master-binding)',
      'The same cloud, with `router-1` scheduled on network-1 (master) and network-2 and its interface port in net-a, under `master-binding`. keepalived on network-1 stops: network-1 reports standby, then network-2 active, with a growing `seq` (a timestamp in ms does too).',
      [...SETUP, port('vm-1', 'compute-1', 'fa:16:3e:00:00:03', '10.0.0.11'), ...HA_SETUP],
      [haState('network-1', 'standby', 3), haState('network-2', 'active', 4)],
    ),
    await run(
      'An agent restarts',
      'compute-1 restarts its agent: it lost its tables, so it reports with a new `bootId` (and a higher revision).',
      [...SETUP, port('vm-1', 'compute-1', 'fa:16:3e:00:00:03', '10.0.0.11')],
      [report('compute-1', '192.0.2.11', 'boot-c1-b', 2)],
    ),
  ];
}

const json = (v: unknown) => JSON.stringify(v);
/** Pretty JSON with each `[mac, ip]` entry kept on one line. */
const pretty = (v: unknown) =>
  JSON.stringify(v, null, 2).replace(/\[\s+("[^"]*"),\s+("[^"]*")\s+\]/g, '[$1, $2]');

/** The examples as markdown: each event, then the commands it produced, per host. */
export function renderWorkedExamples(examples: readonly WorkedExample[]): string {
  const out: string[] = [];
  for (const ex of examples) {
    out.push(`### ${ex.title}`, '', ex.intro, '');
    out.push('<details><summary>The events sent before (setup), one per line</summary>', '', '```json');
    out.push(...ex.setup.map(json), '```', '', '</details>', '');
    ex.steps.forEach((s, i) => {
      out.push(`**Event ${i + 1}** (\`${s.event.type}\`):`, '', '```json', pretty(s.event), '```', '');
      if (s.commands.length === 0) out.push('The controller sends no command.', '');
      for (const c of s.commands)
        out.push(`To \`${c.host}\` (\`${c.command.kind}\`):`, '', '```json', pretty(c.command), '```', '');
    });
  }
  return out.join('\n');
}

export const EXAMPLES_BEGIN = '<!-- worked-examples:begin (generated by `npm run contract`) -->';
export const EXAMPLES_END = '<!-- worked-examples:end -->';

/** The document with its generated block replaced. */
export function withWorkedExamples(doc: string, block: string): string {
  const a = doc.indexOf(EXAMPLES_BEGIN);
  const b = doc.indexOf(EXAMPLES_END);
  if (a < 0 || b < a)
    throw new Error(`docs/integration.md lacks the markers ${EXAMPLES_BEGIN} ... ${EXAMPLES_END}`);
  return `${doc.slice(0, a + EXAMPLES_BEGIN.length)}\n\n${block}\n${doc.slice(b)}`;
}
