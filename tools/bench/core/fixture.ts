import type { NetworkState } from '../../../src/app/ports.js';
import { DEFAULT_FLAGS } from '../../../src/core/flags.js';
import type { Agent, Network, NetworkFacts, Port } from '../../../src/core/types.js';
import { buildNetwork } from '../../support/seed-network.js';

/** A steady-state port event: its host is present before and after, so no agent joins or leaves. */
export interface PortEvent {
  readonly kind: 'ip-change' | 'port-active';
  readonly before: Port;
  readonly after: Port;
}

/** One network as the runtime holds it: the O(hosts) record, plus the facts the full path reads. */
export interface CoreFixture {
  readonly hosts: number;
  readonly ports: number;
  readonly network: Network;
  readonly state: NetworkState;
  readonly agents: ReadonlyMap<string, Agent>;
  readonly allPorts: readonly Port[];
  /** Alternating kinds, spread over the hosts; the same events (by port index) at every size. */
  readonly events: readonly PortEvent[];
}

const NETWORK: Network = { id: 'net', name: 'net', networkType: 'vxlan', segmentId: 5000 };

const byte = (n: number) => (n & 255).toString(16).padStart(2, '0');

/**
 * `hosts` agents with `ports` VM ports dealt round-robin (tools/support/seed-network.ts), and
 * `events` events: even ones change the IP of port k, odd ones bring a new port ACTIVE (it was
 * DOWN, so it is in no count) on the host of port k. O(ports) to build: ~0.3 s at 100k ports.
 */
export function buildCoreFixture(hosts: number, ports: number, events = 32): CoreFixture {
  const built = buildNetwork({ network: NETWORK, hosts, ports, hostPrefix: 'h' });
  const evs: PortEvent[] = [];
  for (let k = 0; k < events; k++) {
    const port = built.ports[k % ports] as Port;
    if (k % 2 === 0) {
      evs.push({
        kind: 'ip-change',
        before: port,
        after: { ...port, ips: [`10.254.${byte(k >> 8)}.${k & 255}`], revision: 2 },
      });
    } else {
      const down: Port = {
        ...port,
        id: `new-${k}`,
        mac: `fa:16:3e:ff:${byte(k >> 8)}:${byte(k)}`,
        ips: [`10.253.${k >> 8}.${k & 255}`],
        deviceId: `vm-new-${k}`,
        status: 'DOWN',
      };
      evs.push({ kind: 'port-active', before: down, after: { ...down, status: 'ACTIVE', revision: 2 } });
    }
  }
  return {
    hosts,
    ports,
    network: NETWORK,
    state: built.state,
    agents: new Map(built.agents.map((a) => [a.host, a])),
    allPorts: built.ports,
    events: evs,
  };
}

/** The network's ports after the event (what a snapshot or the full path would load). */
export function portsAfter(fx: CoreFixture, ev: PortEvent): Port[] {
  const out = fx.allPorts.filter((p) => p.id !== ev.after.id);
  out.push(ev.after);
  return out;
}

/** The whole facts before and after an event: the input of the full recompute. O(ports). */
export function factsAround(fx: CoreFixture, ev: PortEvent): { before: NetworkFacts; after: NetworkFacts } {
  const base = { network: fx.network, agents: fx.agents, routers: new Map(), flags: DEFAULT_FLAGS };
  const before = fx.allPorts.filter((p) => p.id !== ev.before.id);
  before.push(ev.before);
  return { before: { ...base, ports: before }, after: { ...base, ports: portsAfter(fx, ev) } };
}

/**
 * The fixture with its network record and events allocated anew; called once every fixture is
 * built. The runtime parses the record afresh for each event. Without this, whichever fixture was
 * built first ran 3-6 % slower (heap layout), and 100k/1k read 0.93 at 100 hosts instead of 1.00.
 */
export function withFreshRecord(fx: CoreFixture): CoreFixture {
  return { ...fx, state: structuredClone(fx.state), events: structuredClone(fx.events) };
}
