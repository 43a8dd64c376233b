import type {
  AgentAppliedEvent,
  AgentAuditEvent,
  AgentReportEvent,
  AgentResyncEvent,
  VipClaimEvent,
} from '../src/contracts/events.js';

/**
 * What an agent sends: its report on start, resync requests, what it holds after applying, the
 * periodic digest of what its data plane holds, and the VIP claims its local ports announced.
 */
export type AgentOutboundEvent =
  | AgentReportEvent
  | AgentResyncEvent
  | AgentAppliedEvent
  | AgentAuditEvent
  | VipClaimEvent;

export interface ReceivedCommand {
  /** The raw message body: untrusted until `parseAgentCommandBody` accepts it. */
  readonly body: string;
  /** Handle to acknowledge it (an SQS receipt handle). */
  readonly receipt: string;
  /** The controller's correlation id of the inbound event behind the command (message attribute). */
  readonly correlationId?: string | undefined;
}

/**
 * The agent's link to the controller: its own command queue in, the agent-events queue out.
 * In the cloud that is SQS (long poll `ReceiveMessage`, `DeleteMessage` as ack, `SendMessage`);
 * the test harness uses stdin/stdout, unit tests the in-memory one below. A message that is not
 * acknowledged comes back (SQS: after its visibility timeout), so a transient failure retries.
 */
export interface AgentTransport {
  /** Waits for the next messages, in queue order; resolves `[]` when `signal` aborts. */
  receive(signal: AbortSignal): Promise<readonly ReceivedCommand[]>;
  ack(message: ReceivedCommand): Promise<void>;
  send(event: AgentOutboundEvent): Promise<void>;
  /**
   * Sends several events in one request, in order (SQS: one SendMessageBatch, at most 10), so
   * they are in the queue together; absent: the caller sends them one by one.
   */
  sendBatch?(events: readonly AgentOutboundEvent[]): Promise<void>;
}

export interface MemoryTransport extends AgentTransport {
  /** Enqueues a command body. */
  push(body: string): void;
  /** Everything the agent sent, in order. */
  readonly sent: AgentOutboundEvent[];
  /** Returns received-but-unacknowledged messages to the front of the queue (a visibility timeout). */
  redeliverUnacked(): void;
  /** Messages waiting plus in flight. */
  readonly depth: number;
}

/**
 * One pending receive woken by the producer: `wait` resolves on the next `wake` or when `signal`
 * aborts. Shared by the in-memory and the stdio transports.
 */
export function createWakeup() {
  let waiter: (() => void) | null = null;
  return {
    wake(): void {
      const w = waiter;
      waiter = null;
      w?.();
    },
    wait(signal: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        waiter = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/** An in-memory queue with SQS's at-least-once shape, for tests and local runs. */
export function createMemoryTransport(batchSize = 10): MemoryTransport {
  const queue: { body: string; receipt: string }[] = [];
  const inflight = new Map<string, string>();
  const sent: AgentOutboundEvent[] = [];
  const { wake, wait } = createWakeup();
  let seq = 0;
  return {
    sent,
    get depth() {
      return queue.length + inflight.size;
    },
    push(body) {
      queue.push({ body, receipt: `r${++seq}` });
      wake();
    },
    redeliverUnacked() {
      const back = [...inflight].map(([receipt, body]) => ({ body, receipt }));
      inflight.clear();
      queue.unshift(...back);
      if (back.length > 0) wake();
    },
    async receive(signal) {
      while (queue.length === 0 && !signal.aborted) await wait(signal);
      if (signal.aborted) return [];
      const batch = queue.splice(0, batchSize);
      for (const m of batch) inflight.set(m.receipt, m.body);
      return batch;
    },
    async ack(message) {
      inflight.delete(message.receipt);
    },
    async send(event) {
      sent.push(event);
    },
  };
}
