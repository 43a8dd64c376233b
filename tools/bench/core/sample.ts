import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CoreFixture, factsAround, PortEvent } from './fixture.js';
import { planPortEventFull, planPortEventIncremental } from './port-event.js';

export type FullFacts = ReturnType<typeof factsAround>;

/**
 * Both clocks of a measurement. `cpu` is the process's user + system time: on a machine shared
 * with other jobs it leaves out the time the scheduler gave to them, which wall time counts.
 */
export interface ByClock<T> {
  readonly cpu: T;
  readonly wall: T;
}

/** A full GC after each full recompute, so its gigabytes of garbage are not charged to the next sample. */
export const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function now(): ByClock<number> {
  const c = process.cpuUsage();
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() };
}

/**
 * Microseconds per event of each fixture, sampled together: event k runs on every fixture in turn
 * (the first one rotating with k and `shift`), each call timed on its own, so a pause of the machine
 * lands on all the fixtures alike.
 */
export async function sampleIncremental(
  fixtures: readonly CoreFixture[],
  loops: number,
  shift = 0,
): Promise<ByClock<number>[]> {
  const cpu = fixtures.map(() => 0);
  const wall = fixtures.map(() => 0);
  const events = Math.min(...fixtures.map((fx) => fx.events.length));
  let commands = 0;
  for (let l = 0; l < loops; l++)
    for (let k = 0; k < events; k++)
      for (let j = 0; j < fixtures.length; j++) {
        const i = (j + k + shift) % fixtures.length;
        const fx = fixtures[i] as CoreFixture;
        const t0 = now();
        const planned = await planPortEventIncremental(fx, fx.events[k] as PortEvent);
        const t1 = now();
        cpu[i] = (cpu[i] as number) + t1.cpu - t0.cpu;
        wall[i] = (wall[i] as number) + t1.wall - t0.wall;
        commands += planned.outbox?.commands.length ?? 0;
      }
  if (commands === 0) throw new Error('no command planned: not a steady-state event');
  const us = (ms: number) => (ms * 1000) / (loops * events);
  return fixtures.map((_, i) => ({ cpu: us(cpu[i] as number), wall: us(wall[i] as number) }));
}

/**
 * Milliseconds of the full recompute of one event (`facts` are those of `fx.events[k]`), after
 * checking that it plans the same commands as the incremental path: the two measure the same work.
 * Then it settles: right after a full recompute and its GC, the next incremental sample measured
 * 1.3-3x slow (V8 still sweeping gigabytes, cold caches), so that sample is run and dropped.
 */
export async function sampleFull(
  fx: CoreFixture,
  k: number,
  facts: FullFacts,
  settleLoops: number,
): Promise<ByClock<number>> {
  const t0 = now();
  const full = planPortEventFull(fx, facts);
  const t1 = now();
  const inc = await planPortEventIncremental(fx, fx.events[k] as PortEvent);
  if (!isDeepStrictEqual(inc.outbox?.commands, full.outbox?.commands))
    throw new Error(`${fx.hosts}x${fx.ports}: incremental and full plans differ`);
  gc();
  await sleep(100);
  await sampleIncremental([fx], settleLoops);
  return { cpu: t1.cpu - t0.cpu, wall: t1.wall - t0.wall };
}
