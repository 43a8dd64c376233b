/**
 * CLI entry of the reference agent: `tsx agent/main.ts --host compute1 --tunnel-ip 198.51.100.11`.
 * Logs go to stderr as JSON lines. With `--transport stdio` commands come on stdin and events go
 * to stdout, and it stops when stdin closes; with `--transport sqs` it long-polls its own queue.
 * It stops on SIGTERM/SIGINT.
 */

import type { AgentTransport } from './agent-transport.js';
import { createAgent } from './create-agent.js';
import { createLogger } from './create-logger.js';
import { createExecFileExecutor } from './kernel-executor.js';
import { AGENT_USAGE, type AgentCliOptions, parseAgentConfig } from './parse-agent-config.js';
import { runAgent } from './run-agent.js';
import { createStdioTransport } from './stdio-transport.js';
import { CLAIM_GATHER_MS, createClaimWatcher, spawnTcpdump } from './vip-claim-watcher.js';

async function createTransport(options: AgentCliOptions, onClose: () => void): Promise<AgentTransport> {
  const t = options.transport;
  if (t.kind === 'stdio') return createStdioTransport(process.stdin, process.stdout, onClose);
  // Loaded only for SQS, so the stdio agent starts without the SDK.
  const [{ createSqsClient }, { createSqsTransport }] = await Promise.all([
    import('./create-sqs-client.js'),
    import('./sqs-transport.js'),
  ]);
  return createSqsTransport({
    client: createSqsClient(t),
    commandQueue: t.commandQueue,
    eventQueueUrl: t.eventQueueUrl,
    host: options.config.host,
  });
}

async function main(): Promise<number> {
  let options: AgentCliOptions;
  try {
    options = parseAgentConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${AGENT_USAGE}\n`);
    return 2;
  }
  const { config, netns } = options;
  const log = createLogger(process.stderr, { host: config.host });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  const transport = await createTransport(options, () => stop.abort());
  const executor = createExecFileExecutor(netns === undefined ? {} : { netns });
  const agent = createAgent({
    config,
    executor,
    log,
    send: (e) => transport.send(e),
    now: () => performance.timeOrigin + performance.now(),
  });
  // The claim watcher runs beside the command loop; it only sends, and reads the controller's
  // record of its ports from the agent (both on this one event loop, so a read sees whole commands).
  const watcher =
    options.vipPorts.length === 0
      ? null
      : createClaimWatcher({
          host: config.host,
          ports: options.vipPorts,
          localPort: (networkId, portId) => agent.localPort(networkId, portId),
          send: (e) => transport.send(e),
          ...(transport.sendBatch
            ? {
                sendBatch: (es) => (transport.sendBatch as NonNullable<typeof transport.sendBatch>)(es),
                gatherMs: CLAIM_GATHER_MS,
              }
            : {}),
          log,
          now: () => performance.timeOrigin + performance.now(),
          capture: (dev) => spawnTcpdump(dev, netns),
        });
  log.info('started', {
    tunnelIp: config.tunnelIp,
    learning: config.learning,
    proxy: config.proxy,
    bootId: config.bootId,
    vipPorts: options.vipPorts.map((p) => p.dev),
  });
  await runAgent(agent, transport, stop.signal, {
    appliedReportMs: options.appliedReportMs,
    heartbeatMs: options.heartbeatMs,
    onReportError: (err) => log.warn('applied_report_failed', { error: String(err) }),
    auditMs: options.auditMs,
    onAuditError: (err) => log.warn('audit_failed', { error: String(err) }),
  });
  await watcher?.stop();
  log.info(
    'stopped',
    watcher
      ? {
          vipClaims: watcher.sent,
          vipRepeats: watcher.repeats,
          vipDropped: Object.fromEntries(watcher.dropped),
        }
      : {},
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', msg: 'crashed', error: String((err as Error)?.stack ?? err) })}\n`,
    );
    process.exitCode = 1;
  },
);
