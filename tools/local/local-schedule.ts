import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { ScheduledLambdaHandler } from '../../src/runtime/scheduled-handler.js';
import { lambdaContext } from './poller.js';

export interface LocalScheduleOptions {
  readonly handler: ScheduledLambdaHandler;
  readonly functionName: string;
  readonly intervalMs: number;
  readonly region?: string;
  readonly timeoutMs?: number;
  readonly onTick?: (outcome: { result?: unknown; error?: unknown }) => void;
}

/**
 * An EventBridge schedule, locally: invokes the bundled handler with a `Scheduled Event` every
 * `intervalMs`, one invocation at a time (a tick that finds the previous one still running is
 * skipped). `tick()` invokes once, now.
 */
export function createLocalSchedule(options: LocalScheduleOptions) {
  const region = options.region ?? 'us-east-1';
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  const tick = async (): Promise<unknown> => {
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region,
      resources: [`arn:aws:events:${region}:000000000000:rule/${options.functionName}`],
      detail: {},
    };
    try {
      const result = await options.handler(
        event,
        lambdaContext(options.functionName, region, options.timeoutMs ?? 300_000),
      );
      options.onTick?.({ result });
      return result;
    } catch (error) {
      options.onTick?.({ error });
      throw error;
    }
  };
  return {
    tick,
    start(): void {
      timer ??= setInterval(() => {
        running ??= tick()
          .then(
            () => undefined,
            () => undefined,
          )
          .finally(() => {
            running = null;
          });
      }, options.intervalMs);
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type LocalSchedule = ReturnType<typeof createLocalSchedule>;
