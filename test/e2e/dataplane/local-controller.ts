import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { OUT_DIR } from '../../../scripts/build.mjs';
import { agentQueueName } from '../../../src/adapters/aws/agent-queues.js';
import { createDynamoAuditStore } from '../../../src/adapters/aws/dynamo-audit-store.js';
import { parseInboundEvent } from '../../../src/contracts/parse.js';
import { bootLocalController, type LocalController } from '../../../tools/local/boot.js';
import { type FunctionName, type LocalStack, startLocalStack } from '../../../tools/local/local-stack.js';
import type { InvocationOutcome } from '../../../tools/local/poller.js';
import { findChildPid } from './find-child-pid.js';
import { type ManagementSocket, startManagementSocket } from './management-socket.js';
import { sleep } from './run-command.js';
import type { RunRecord } from './run-record.js';
import type { QueuedEvent } from './scenario-events.js';

const QUEUE_IDS = { port: 'PortEventsQueue', ha: 'HaEventsQueue', agent: 'AgentEventsQueue' } as const;
/** Quiet functions: their log lines and metrics would cost CPU the measurement shares. */
const FUNCTION_ENV = { L2POP_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };

export interface Invocation extends InvocationOutcome {
  readonly fn: FunctionName;
  /** Epoch ms when the invocation was settled (its commands already published). */
  readonly t: number;
}

export type DataplaneController = Awaited<ReturnType<typeof startDataplaneController>>;

const now = () => performance.timeOrigin + performance.now();

/**
 * The real controller of the failover bed: `bootLocalController()` (DynamoDB Local, fauxqs, the
 * table and queues of infra/resources.yml, the bundled handlers behind the event-source poller),
 * plus the management socket through which namespaced processes reach its queues. The JVM's PID
 * goes into the run record, so a crashed run's JVM is stopped by the next run's cleanup.
 * `pause()` stops every poller (the controller is down; events wait in their queues) and
 * `resume()` starts fresh ones, cold-started as after an outage.
 */
export async function startDataplaneController(
  record: RunRecord,
  options: { build: boolean; fifoGroupBatches?: boolean },
) {
  const invocations: Invocation[] = [];
  const onInvoke = (fn: FunctionName, outcome: InvocationOutcome) =>
    invocations.push({ fn, t: now(), ...outcome });
  const stackName = `l2fo-${path.basename(record.dir).replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 40);
  const controller: LocalController = await bootLocalController({
    stackName,
    build: options.build,
    ...(options.fifoGroupBatches ? { fifoGroupBatches: true } : {}),
    env: FUNCTION_ENV,
    onInvoke,
  });
  const sqs = controller.clients.sqs;
  let socket: ManagementSocket | undefined;
  try {
    const jvm = findChildPid(process.pid, [
      'DynamoDBLocal.jar',
      `-port ${new URL(controller.endpoints.dynamo).port}`,
    ]);
    if (jvm !== null) record.addProcess(jvm, 'DynamoDB Local', 'DynamoDBLocal.jar');
    socket = await startManagementSocket(
      path.join(record.dir, 'sqs.sock'),
      new URL(controller.endpoints.sqs),
    );
  } catch (err) {
    await controller.stop();
    throw err;
  }
  const mgmt = socket;
  let stack: LocalStack = controller.stack;
  let paused = false;
  const queueUrl = (q: keyof typeof QUEUE_IDS): string => {
    const found = controller.resources.queues[QUEUE_IDS[q]];
    if (!found) throw new Error(`no ${QUEUE_IDS[q]} in the local resources`);
    return found.url;
  };
  const depth = async (url: string): Promise<number> => {
    const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
    const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...names] }));
    return names.reduce((n, a) => n + Number(got.Attributes?.[a] ?? 0), 0);
  };
  const agentQueueUrl = async (host: string): Promise<string | null> => {
    try {
      const QueueName = agentQueueName(stack.agentQueuePrefix, host);
      return (await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl ?? null;
    } catch {
      return null;
    }
  };
  /** Inbound first: a handler publishes before its message is deleted, so an empty inbound queue means its commands are already in the agents' queues. */
  const quiet = async (hosts: readonly string[]): Promise<boolean> => {
    for (const q of ['agent', 'port', 'ha'] as const) if ((await depth(queueUrl(q))) > 0) return false;
    for (const host of hosts) {
      const url = await agentQueueUrl(host);
      if (url === null || (await depth(url)) > 0) return false;
    }
    return true;
  };

  return {
    endpoint: controller.endpoints.sqs,
    socketPath: mgmt.path,
    invocations,
    queueUrl,
    agentQueueName: (host: string) => agentQueueName(stack.agentQueuePrefix, host),
    /** Validates with the inbound contract, then sends to the event's queue and message group. */
    async send(events: readonly QueuedEvent[]): Promise<void> {
      for (const { queue, group, event } of events) {
        const body = JSON.stringify(event);
        parseInboundEvent(body);
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl(queue),
            MessageBody: body,
            MessageGroupId: group,
            MessageDeduplicationId: randomUUID(),
          }),
        );
      }
    },
    /** Waits until every inbound queue and every host's queue is empty twice in a row, 100 ms apart. */
    async settled(hosts: readonly string[], timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (let streak = 0; streak < 2; ) {
        streak = (await quiet(hosts)) ? streak + 1 : 0;
        if (Date.now() > deadline) throw new Error(`controller not settled after ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    get paused() {
      return paused;
    },
    async pause(): Promise<void> {
      paused = true;
      // Waits for the long polls in flight to return, so no message is left in flight with
      // nobody to process it (tools/local/poller.ts stop()).
      await stack.stop();
    },
    async resume(): Promise<void> {
      stack = await startLocalStack({
        clients: controller.clients,
        resources: controller.resources,
        endpoints: controller.endpoints,
        functionsDir: OUT_DIR,
        env: FUNCTION_ENV,
        retryDelaySeconds: 1, // as bootLocalController
        onInvoke,
      });
      paused = false;
    },
    /** The controller's drift-audit record of `host` (docs/drift-audit.md), as `l2pop status` reads it. */
    auditRecord(host: string) {
      const tableName = controller.resources.tables.StateTable;
      if (!tableName) throw new Error('no StateTable in the local resources');
      return createDynamoAuditStore({ client: controller.clients.doc, tableName }).get(host);
    },
    /** The first invocation of `fn` settled after `t`. */
    invocationAfter(fn: FunctionName, t: number): Invocation | undefined {
      return invocations.find((i) => i.fn === fn && i.t > t && i.records > 0);
    },
    async stop(): Promise<void> {
      await mgmt.close();
      await stack.stop();
      await controller.stop();
    },
  };
}
