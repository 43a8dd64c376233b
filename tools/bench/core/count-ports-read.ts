import type { NetworkFacts, Port } from '../../../src/core/types.js';
import { type CoreFixture, factsAround, type PortEvent, portsAfter } from './fixture.js';
import { planPortEventFull, planPortEventIncremental } from './port-event.js';

/**
 * Port facts a plan reads, counted from the outside: every port handed to the planner is a Proxy
 * that marks itself on its first property read. Deterministic, unlike time: a steady-state event
 * must read the same number of ports (its own before and after) at 1k and at 100k ports.
 */
function createPortReadCounter() {
  const read = new Set<Port>();
  const wrap = (p: Port): Port =>
    new Proxy(p, {
      get(target, key, receiver) {
        read.add(target);
        return Reflect.get(target, key, receiver);
      },
    });
  return { wrap, count: () => read.size };
}

/** Ports read by the incremental path, including any it would load for a snapshot. */
export async function countPortsReadIncremental(fx: CoreFixture, ev: PortEvent): Promise<number> {
  const c = createPortReadCounter();
  const wrapped = { ...ev, before: c.wrap(ev.before), after: c.wrap(ev.after) };
  await planPortEventIncremental(fx, wrapped, () => portsAfter(fx, ev).map(c.wrap));
  return c.count();
}

/** Ports read by the full recompute of the same event. */
export function countPortsReadFull(fx: CoreFixture, ev: PortEvent): number {
  const c = createPortReadCounter();
  const facts = factsAround(fx, ev);
  const wrap = (f: NetworkFacts): NetworkFacts => ({ ...f, ports: f.ports.map(c.wrap) });
  planPortEventFull(fx, { before: wrap(facts.before), after: wrap(facts.after) });
  return c.count();
}
