import { z } from 'zod';
import { type InboundEvent, inboundEventSchema } from '../../src/contracts/events.js';
import { computeMaster } from '../../src/core/ha.js';
import type { Strategy } from '../../src/core/types.js';
import { replayTrace } from '../replay/replay.js';
import { buildDefaultScenario } from './default-scenario.js';
import { createFactOracle } from './fact-oracle.js';
import { type Phase, type Scenario, scenarioSchema } from './scenario.js';

/** A scenario the A/B run can drive, built per strategy (the default one flips to another strategy). */
export interface ScenarioSource {
  readonly kind: 'default' | 'scenario' | 'events' | 'trace';
  readonly name: string;
  readonly scenarioFor: (strategy: Strategy) => Scenario;
}

export class ScenarioInputError extends Error {
  override readonly name = 'ScenarioInputError';
}

const VRRP = { gracefulMs: 815, nodeLossMs: 3500, garpRepeatMs: 5000, advertMs: 1000 };

function describeZod(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

export function parseEvents(raw: readonly unknown[], name: string): InboundEvent[] {
  return raw.map((e, i) => {
    const r = inboundEventSchema.safeParse(e);
    if (!r.success) throw new ScenarioInputError(`${name}: event ${i}: ${describeZod(r.error)}`);
    return r.data;
  });
}

/**
 * Cuts an event list into phases: a run of ordinary events is one phase; an `ha.state` that moves
 * a router's master to another host is a failover phase of its own (with the old master's
 * standby report just before it, when there is one). Its reports are the events themselves.
 */
export function phasesFromEvents(events: readonly InboundEvent[]): Phase[] {
  const oracle = createFactOracle();
  const lastMaster = new Map<string, string>();
  const phases: Phase[] = [];
  let run: { e: InboundEvent; i: number }[] = [];
  const flush = () => {
    const [head, last] = [run[0], run.at(-1)];
    if (head && last)
      phases.push({ name: `events ${head.i + 1}-${last.i + 1}`, events: run.map((x) => x.e) });
    run = [];
  };
  events.forEach((e, i) => {
    oracle.apply(e);
    if (e.type !== 'ha.state' || e.state !== 'active') {
      run.push({ e, i });
      return;
    }
    const router = oracle.router(e.routerId);
    const master = router ? computeMaster(router).master : null;
    const before = lastMaster.get(e.routerId);
    if (master) lastMaster.set(e.routerId, master);
    if (!before || !master || master === before) {
      run.push({ e, i });
      return;
    }
    const prev = run.at(-1)?.e;
    const standby =
      prev?.type === 'ha.state' && prev.routerId === e.routerId && prev.host === before
        ? run.pop()?.e
        : undefined;
    flush();
    phases.push({
      name: `failover ${e.routerId} ${before} → ${master}`,
      events: standby ? [standby, e] : [e],
      failover: { router: e.routerId, from: before, to: master, mode: 'graceful', reports: 'in-events' },
    });
  });
  flush();
  return phases;
}

/** The inbound events a Neutron oracle trace amounts to (what the replay hands to the use-cases). */
async function traceEvents(trace: unknown): Promise<InboundEvent[]> {
  const events: InboundEvent[] = [];
  await replayTrace(trace, {
    strategy: 'tunnel',
    onEvent: (e) => {
      // gap resyncs are the replay's own agents talking; the live agents make their own
      if (!(e.type === 'agent.resync' && e.reason === 'gap')) events.push(e);
    },
  });
  return events;
}

/**
 * Reads what `l2pop ab FILE` was given: the project's scenario (`{phases: [...]}`), a list of
 * inbound events (an array, or `{events: [...]}`), or a Neutron oracle trace (`{steps: [...]}`,
 * the format of docs/trace-format.md).
 */
export async function loadScenarioSource(input: unknown, name: string): Promise<ScenarioSource> {
  const obj =
    typeof input === 'object' && input !== null && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : null;
  if (obj && 'phases' in obj) {
    const r = scenarioSchema.safeParse(obj);
    if (!r.success) throw new ScenarioInputError(`${name}: not a valid scenario: ${describeZod(r.error)}`);
    return { kind: 'scenario', name, scenarioFor: () => r.data };
  }
  const list = Array.isArray(input) ? input : obj && Array.isArray(obj.events) ? obj.events : null;
  if (list) {
    const events = parseEvents(list, name);
    if (events.length === 0) throw new ScenarioInputError(`${name}: no events`);
    const scenario: Scenario = { vrrp: VRRP, phases: phasesFromEvents(events) };
    return { kind: 'events', name, scenarioFor: () => scenario };
  }
  if (obj && 'steps' in obj) {
    let events: InboundEvent[];
    try {
      events = await traceEvents(obj);
    } catch (err) {
      const msg = err instanceof z.ZodError ? describeZod(err) : (err as Error).message;
      throw new ScenarioInputError(`${name}: not a trace the replay accepts: ${msg}`);
    }
    const scenario: Scenario = {
      description: String(obj.description ?? ''),
      vrrp: VRRP,
      phases: phasesFromEvents(events),
    };
    return { kind: 'trace', name, scenarioFor: () => scenario };
  }
  throw new ScenarioInputError(
    `${name}: expected a scenario ({"phases": [...]}), a list of events ([...] or {"events": [...]}) or an oracle trace ({"steps": [...]})`,
  );
}

export const DEFAULT_SOURCE: ScenarioSource = {
  kind: 'default',
  name: 'default cloud (6 compute hosts, 3 network nodes, 3 networks, 2 HA routers)',
  scenarioFor: buildDefaultScenario,
};
