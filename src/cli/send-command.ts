import type { Command } from 'commander';
import type { InboundEvent } from '../contracts/events.js';
import { INBOUND_QUEUES, sendEvents } from '../local/inbound.js';
import { loadScenarioSource, parseEvents, ScenarioInputError } from '../sim/load-scenario.js';
import { computeScenarioWarnings } from '../sim/scenario-warnings.js';
import { type CliIo, printWarnings, readJson, UsageError } from './cli-support.js';
import { addTargetOptions, resolveTarget, type TargetOptions } from './stack-target.js';

/**
 * The events in a file: one event, a list (JSON array, `{"events": [...]}` or one per line), a
 * scenario (its phases' events, in order) or a Neutron oracle trace (the events it amounts to).
 */
async function eventsIn(input: unknown, name: string): Promise<InboundEvent[]> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'type' in input)
    return parseEvents([input], name);
  const source = await loadScenarioSource(input, name);
  return source.scenarioFor('tunnel').phases.flatMap((p) => p.events);
}

/** `l2pop send [FILE]`: puts inbound events on a running stack's queues, routed as the functions expect. */
export function addSendCommand(program: Command, io: CliIo): void {
  addTargetOptions(
    program
      .command('send')
      .description(
        "Put inbound events on the stack's queues (port events per network, HA events per router, agent events " +
          'per host): one event, a list, a scenario or an oracle trace; every event is validated first',
      )
      .argument('[file]', 'JSON or one event per line ("-" or nothing: stdin)', '-')
      .option('--json', 'print the counts as JSON'),
  ).action(async (file: string, o: TargetOptions & { json?: boolean }) => {
    let events: InboundEvent[];
    try {
      events = await eventsIn(await readJson(file), file === '-' ? 'stdin' : file);
    } catch (err) {
      if (err instanceof ScenarioInputError) throw new UsageError(err.message);
      throw err;
    }
    if (events.length === 0) throw new UsageError('no events to send');
    const warnings = computeScenarioWarnings({ events, complete: false });
    printWarnings(io, warnings);
    const target = await resolveTarget(o);
    try {
      const counts = await sendEvents(target.clients.sqs, await target.queues(), events);
      if (o.json)
        io.out(
          `${JSON.stringify({ stack: target.stackName, sent: events.length, queues: counts, warnings })}\n`,
        );
      else
        io.out(
          `sent ${events.length} events to ${target.stackName}: ${INBOUND_QUEUES.map((q) => `${counts[q]} ${q}`).join(', ')}\n`,
        );
    } finally {
      target.close();
    }
  });
}
