import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fromFile, Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_MESSAGES,
  INBOUND_CHANNELS,
  INBOUND_MESSAGES,
  UNION_TYPES,
} from '../../scripts/contract/catalog.js';
import {
  CONTRACT_DIR,
  INTEGRATION_DOC,
  REGENERATE,
  ROOT,
  renderContract,
} from '../../scripts/contract/render.js';
import {
  renderWorkedExamples,
  runWorkedExamples,
  withWorkedExamples,
} from '../../scripts/contract/worked-examples.js';
import { routeEvent } from '../../src/adapters/aws/inbound-queues.js';
import { agentCommandSchema } from '../../src/contracts/commands.js';
import { inboundEventSchema } from '../../src/contracts/events.js';
import { REJECTION_CODES } from '../../src/core/errors.js';

const dir = path.join(ROOT, CONTRACT_DIR);

describe('the published contract (docs/contract/)', () => {
  it('is what the zod contracts generate today', () => {
    const files = renderContract();
    const stale: string[] = [];
    for (const [name, content] of files) {
      const file = path.join(dir, name);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== content) stale.push(name);
    }
    const extra = readdirSync(path.join(dir, 'schemas'))
      .map((f) => `schemas/${f}`)
      .filter((f) => !files.has(f));
    expect(
      [...stale, ...extra],
      `docs/contract/ is out of date with src/contracts/: run \`${REGENERATE}\` and commit the result`,
    ).toEqual([]);
  });

  it("docs/integration.md's worked examples are what the use-cases send today", async () => {
    const examples = await runWorkedExamples();
    for (const ex of examples)
      for (const step of ex.steps) for (const c of step.commands) agentCommandSchema.parse(c.command);
    // each example shows commands, else it shows nothing worth reading
    expect(examples.map((ex) => ex.steps.some((s) => s.commands.length > 0))).toEqual(
      examples.map(() => true),
    );
    const doc = readFileSync(path.join(ROOT, INTEGRATION_DOC), 'utf8');
    expect(
      withWorkedExamples(doc, renderWorkedExamples(examples)) === doc,
      `the worked examples of ${INTEGRATION_DOC} are out of date: run \`${REGENERATE}\` and commit the result`,
    ).toBe(true);
  });

  it('docs/integration.md explains every rejection code', () => {
    const doc = readFileSync(path.join(ROOT, INTEGRATION_DOC), 'utf8');
    expect(REJECTION_CODES.filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it('names every message of the zod unions, and no other', () => {
    expect(INBOUND_MESSAGES.map((m) => m.type).sort()).toEqual([...UNION_TYPES.inbound].sort());
    expect(COMMAND_MESSAGES.map((c) => c.kind).sort()).toEqual([...UNION_TYPES.commands].sort());
  });

  it.each(INBOUND_MESSAGES.map((m) => [m.type, m] as const))(
    '%s: its example is valid and goes to the queue and message group the document states',
    (_type, m) => {
      const parsed = inboundEventSchema.parse(m.example);
      expect(m.schema.parse(m.example)).toEqual(parsed);
      const route = routeEvent(parsed);
      expect(route.queue).toBe(m.queue);
      const constant = /^"([^"]+)"/.exec(m.group)?.[1];
      const value =
        constant ?? m.group.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], parsed);
      expect(route.group).toBe(value);
    },
  );

  it.each(COMMAND_MESSAGES.map((c) => [c.kind, c] as const))(
    '%s: its example is a valid command',
    (_k, c) => {
      expect(agentCommandSchema.parse(c.example)).toEqual(c.example);
    },
  );

  it('is a valid AsyncAPI document to the official parser, with every message on its channel', async () => {
    const { document, diagnostics } = await fromFile(new Parser(), path.join(dir, 'asyncapi.yaml')).parse();
    // severity 0 is an error, 1 a warning (Spectral's scale); 2-3 are hints such as "3.1.0 exists"
    const problems = diagnostics
      .filter((d) => d.severity < 2)
      .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
    if (!document) throw new Error('the parser returned no document');
    const onChannel = (id: string) =>
      document
        .channels()
        .get(id)
        ?.messages()
        .all()
        .map((m) => m.name()) ?? [];
    for (const q of INBOUND_CHANNELS)
      expect(onChannel(q.channel).sort()).toEqual(
        INBOUND_MESSAGES.filter((m) => m.queue === q.id)
          .map((m) => m.type)
          .sort(),
      );
    expect(onChannel('agentCommands').sort()).toEqual([...UNION_TYPES.commands].sort());
    const all = document.allMessages().all();
    expect(all.map((m) => m.name()).sort()).toEqual([...UNION_TYPES.inbound, ...UNION_TYPES.commands].sort());
    // the payloads are the generated schema files, resolved
    for (const m of all) expect((m.payload()?.json() as { title?: string } | undefined)?.title).toBeTruthy();
  }, 60_000);
});
