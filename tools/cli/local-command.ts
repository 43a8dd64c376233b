import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import {
  type CliIo,
  CommandFailedError,
  parseNonNegativeInt,
  parseStrategies,
  printWarnings,
  readJson,
  UsageError,
} from '../../src/cli/cli-support.js';
import { STRATEGIES, type Strategy } from '../../src/core/types.js';
import { runAb } from '../sim/ab-run.js';
import { summarizeAb } from '../sim/ab-summary.js';
import {
  DEFAULT_SOURCE,
  loadScenarioSource,
  ScenarioInputError,
  type ScenarioSource,
} from '../sim/load-scenario.js';
import type { Scenario } from '../sim/scenario.js';
import { computePhaseWarnings } from '../sim/scenario-warnings.js';
import { createProgress } from './progress.js';
import { renderHtml } from './render-html.js';
import { renderMarkdown } from './render-markdown.js';
import { renderTextTable } from './render-table.js';

interface AbCliOptions {
  readonly strategies: Strategy[];
  readonly out: string;
  readonly data?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly phaseTimeout: number;
  readonly vrrpGraceful?: number;
  readonly vrrpNodeLoss?: number;
}

function addAbOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--strategies <list>', 'strategies to compare, comma-separated')
        .argParser(parseStrategies)
        .default([...STRATEGIES], STRATEGIES.join(',')),
    )
    .addOption(
      new Option('--out <dir>', 'where the HTML report, markdown and JSON summaries go').default('report'),
    )
    .addOption(
      new Option('--data <dir>', "persist DynamoDB Local's files here (fauxqs keeps queues in memory only)"),
    )
    .option('--json', 'print the summary as JSON instead of a table')
    .option('--quiet', 'no progress lines on stderr')
    .addOption(
      new Option('--phase-timeout <ms>', 'give up on a phase that has not converged after this long')
        .argParser(parseNonNegativeInt)
        .default(30_000),
    )
    .addOption(
      new Option(
        '--vrrp-graceful <ms>',
        'VRRP takeover after a graceful stop (default 815, measured)',
      ).argParser(parseNonNegativeInt),
    )
    .addOption(
      new Option(
        '--vrrp-node-loss <ms>',
        'VRRP takeover after a node loss (default 3500, measured)',
      ).argParser(parseNonNegativeInt),
    );
}

function withVrrp(s: Scenario, o: AbCliOptions): Scenario {
  return {
    ...s,
    vrrp: {
      ...s.vrrp,
      ...(o.vrrpGraceful === undefined ? {} : { gracefulMs: o.vrrpGraceful }),
      ...(o.vrrpNodeLoss === undefined ? {} : { nodeLossMs: o.vrrpNodeLoss }),
    },
  };
}

/** host -> a short description of its agent, from the scenario's agent reports. */
function agentKinds(s: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of s.phases)
    for (const e of p.events)
      if (e.type === 'agent.report')
        out[e.host] = `${e.capabilities.learning ? 'learning' : 'no learning'}, ARP ${e.capabilities.arp}`;
  return out;
}

async function runAbCommand(io: CliIo, source: ScenarioSource, o: AbCliOptions): Promise<void> {
  const scenarioFor = (strategy: Strategy) => withVrrp(source.scenarioFor(strategy), o);
  const first = o.strategies[0] ?? 'tunnel';
  const warnings = [...new Set(o.strategies.flatMap((s) => computePhaseWarnings(scenarioFor(s).phases)))];
  printWarnings(io, warnings);
  if (!o.quiet) io.err(`l2pop: ${source.name} under ${o.strategies.join(', ')}\n`);
  const ab = await runAb({
    strategies: o.strategies,
    scenarioFor,
    dataDir: o.data,
    phaseTimeoutMs: o.phaseTimeout,
    progress: createProgress(io, o.quiet === true),
  });
  const summary = summarizeAb(ab);
  await mkdir(o.out, { recursive: true });
  const files = {
    html: path.resolve(o.out, 'l2pop-ab.html'),
    markdown: path.resolve(o.out, 'l2pop-ab.md'),
    json: path.resolve(o.out, 'l2pop-ab.json'),
  };
  const meta = { scenario: source.name, command: io.invocation, warnings };
  await writeFile(
    files.html,
    renderHtml({ summary, ab, ...meta, agentKinds: agentKinds(scenarioFor(first)) }),
  );
  await writeFile(files.markdown, renderMarkdown(summary, meta));
  await writeFile(files.json, `${JSON.stringify({ ...meta, summary, details: ab.results }, null, 1)}\n`);
  const { pick, reason, measured } = summary.verdict;
  if (o.json)
    io.out(`${JSON.stringify({ ...meta, verdict: { pick, reason, measured }, summary, files }, null, 1)}\n`);
  else
    io.out(
      `${renderTextTable(summary)}\n\nreport:   ${files.html}\nsummary:  ${files.markdown}\ndetails:  ${files.json}\n`,
    );
  if (!measured)
    throw new CommandFailedError(`every headline figure is n/a, so the A/B has no answer: ${reason}`);
  if (!summary.converged)
    throw new CommandFailedError(`not every agent converged to the desired state (see ${files.markdown})`);
}

/** `l2pop local` (the default scenario) and `l2pop ab FILE` (a scenario, event list or oracle trace). */
export function addAbCommands(program: Command, io: CliIo): void {
  addAbOptions(
    program
      .command('local')
      .description(
        'Boot a local stack (DynamoDB Local, fauxqs, the bundled functions), drive a simulated cloud through ' +
          'boots, a migration, an IP change, an agent restart, three failovers of two HA routers, two of a keepalived VIP pair and a flag flip under each ' +
          'HA strategy, and write an A/B report',
      ),
  ).action((o: AbCliOptions) => runAbCommand(io, DEFAULT_SOURCE, o));
  addAbOptions(
    program
      .command('ab')
      .description(
        'Like `local`, with a scenario, an event list or a Neutron oracle trace instead of the default scenario',
      )
      .argument(
        '<file>',
        'JSON: {"phases": [...]}, [events...] / {"events": [...]}, or an oracle trace ("-" for stdin)',
      ),
  ).action(async (file: string, o: AbCliOptions) => {
    let source: ScenarioSource;
    try {
      source = await loadScenarioSource(await readJson(file), file);
    } catch (err) {
      if (err instanceof ScenarioInputError) throw new UsageError(err.message);
      throw err;
    }
    await runAbCommand(io, source, o);
  });
}
