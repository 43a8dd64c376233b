import { randomUUID } from 'node:crypto';
import { type Command, Option } from 'commander';
import {
  CORRELATION_ATTRIBUTE,
  createReceiptStore,
  RECEIPT_ATTRIBUTE,
  type Receipt,
} from '../../src/adapters/aws/dynamo-receipt-store.js';
import { sendEvents } from '../../src/adapters/aws/inbound-queues.js';
import {
  type CliIo,
  CommandFailedError,
  parseNonNegativeInt,
  printWarnings,
  readJson,
  UsageError,
} from '../../src/cli/cli-support.js';
import {
  addTargetOptions,
  resolveTarget,
  type StackTarget,
  type TargetOptions,
} from '../../src/cli/stack-target.js';
import type { InboundEvent } from '../../src/contracts/events.js';
import { loadScenarioSource, parseEvents, ScenarioInputError } from '../sim/load-scenario.js';
import { computeScenarioWarnings } from '../sim/scenario-warnings.js';

/**
 * The events in a file: one event, a list (JSON array, `{"events": [...]}` or one per line), a
 * scenario (its phases' events, in order) or a Neutron oracle trace (the events it amounts to).
 * A failover phase whose HA reports the simulated run makes itself cannot be sent: there is no
 * VRRP here to make them, so it is refused, naming the phase.
 */
async function eventsIn(input: unknown, name: string): Promise<InboundEvent[]> {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'type' in input)
    return parseEvents([input], name);
  const source = await loadScenarioSource(input, name);
  const phases = source.scenarioFor('tunnel').phases;
  const generated = phases.filter((p) => p.failover && p.failover.reports === 'generate');
  if (generated.length > 0)
    throw new UsageError(
      `${name}: phase "${generated[0]?.name}" is a failover whose ha.state reports the simulated run generates ` +
        '(failover.reports "generate"); send has no VRRP to make them. Put the ha.state events in the phase ' +
        'and set "reports": "in-events", or run the scenario with `l2pop ab`',
    );
  return phases.flatMap((p) => p.events);
}

interface Sent {
  readonly index: number;
  readonly event: InboundEvent;
  readonly correlationId: string;
  messageId: string;
  receipt?: Receipt | undefined;
}

/** Polls the receipts until every sent event has one or the time is up. */
async function awaitReceipts(target: StackTarget, sent: readonly Sent[], timeoutMs: number): Promise<void> {
  const receipts = createReceiptStore({ client: target.clients.doc, tableName: target.tableName });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const s of sent) if (!s.receipt) s.receipt = await receipts.get(s.messageId);
    if (sent.every((s) => s.receipt) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function describeEvent(e: InboundEvent): string {
  switch (e.type) {
    case 'port.upsert':
      return `port ${e.port.id} on ${e.port.networkId}`;
    case 'port.delete':
      return `port ${e.portId} on ${e.networkId}`;
    case 'ha.state':
      return `router ${e.routerId} ${e.state} on ${e.host}`;
    case 'ha.schedule':
      return `router ${e.routerId} on ${e.hosts.join(', ') || 'no host'}`;
    case 'flags.set':
      return `flags revision ${e.revision}`;
    case 'network.rebuild':
      return `rebuild of ${e.networkId}`;
    default:
      return `host ${e.host}`;
  }
}

/** `l2pop send [FILE]`: puts inbound events on a stack's queues and says what became of each. */
export function addSendCommand(program: Command, io: CliIo): void {
  addTargetOptions(
    program
      .command('send')
      .description(
        "Put inbound events on the stack's queues (port events per network, HA events per router, agent events " +
          'per host): one event, a list, a scenario or an oracle trace; every event is validated first. Then ' +
          'print, per event, whether the controller applied it, found it stale, or rejected it and why ' +
          '(exit 1 when one was rejected or not answered in time)',
      )
      .argument('[file]', 'JSON or one event per line ("-" or nothing: stdin)', '-')
      .addOption(
        new Option('--timeout <seconds>', 'how long to wait for the outcomes')
          .argParser(parseNonNegativeInt)
          .default(60),
      )
      .option('--no-wait', 'send only; do not wait for the outcomes')
      .option('--json', 'print the outcomes as JSON'),
  ).action(async (file: string, o: TargetOptions & { json?: boolean; wait: boolean; timeout: number }) => {
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
      const sent: Sent[] = events.map((event, index) => ({
        index,
        event,
        correlationId: randomUUID(),
        messageId: '',
      }));
      const counts = await sendEvents(target.clients.sqs, await target.queues(), events, {
        attributes: (i) => ({
          [CORRELATION_ATTRIBUTE]: { DataType: 'String', StringValue: sent[i]?.correlationId ?? '' },
          [RECEIPT_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' },
        }),
        onSent: (i, messageId) => {
          const s = sent[i];
          if (s) s.messageId = messageId;
        },
      });
      io.err(
        `sent ${events.length} events to ${target.stackName} (${Object.entries(counts)
          .map(([q, n]) => `${n} ${q}`)
          .join(', ')})\n`,
      );
      if (o.wait) await awaitReceipts(target, sent, o.timeout * 1000);
      const rows = sent.map((s) => ({
        index: s.index + 1,
        type: s.event.type,
        what: describeEvent(s.event),
        outcome: o.wait ? (s.receipt?.outcome ?? 'no answer') : 'sent',
        ...(s.receipt?.code ? { code: s.receipt.code, reason: s.receipt.reason } : {}),
        correlationId: s.correlationId,
        messageId: s.messageId,
      }));
      if (o.json) io.out(`${JSON.stringify({ stack: target.stackName, events: rows, warnings }, null, 1)}\n`);
      else
        for (const r of rows)
          io.out(
            `${String(r.index).padStart(4)} ${r.type.padEnd(13)} ${r.outcome.padEnd(9)} ${r.what}${r.code ? `: ${r.code}: ${r.reason}` : ''}  [${r.correlationId}]\n`,
          );
      const rejected = rows.filter((r) => r.outcome === 'rejected').length;
      const unanswered = rows.filter((r) => r.outcome === 'no answer').length;
      if (rejected > 0 || unanswered > 0)
        throw new CommandFailedError(
          [
            rejected > 0 ? `${rejected} rejected` : '',
            unanswered > 0
              ? `${unanswered} not answered within ${o.timeout} s (still queued or retrying: \`l2pop status\` shows the dead-letter queues)`
              : '',
          ]
            .filter(Boolean)
            .join(', '),
        );
    } finally {
      target.close();
    }
  });
}
