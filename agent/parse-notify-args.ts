import { parseArgs } from 'node:util';
import { type HaStateEvent, haStateV1 } from '../src/contracts/events.js';
import { hostSchema, idSchema } from '../src/contracts/primitives.js';
import { absolutePath, optionalUrl, parseRegion, url } from './cli-values.js';

/**
 * keepalived's VRRP states as its notify hooks name them, and the HA state each one reports.
 * STOP (the instance is shutting down) is reported as `fault`, not `standby`: a stopped instance
 * cannot take over, and `standby` promises that it can (docs/dataplane.md §2).
 */
export const KEEPALIVED_STATES = {
  MASTER: 'active',
  BACKUP: 'standby',
  FAULT: 'fault',
  STOP: 'fault',
} as const;
export type KeepalivedState = keyof typeof KEEPALIVED_STATES;

/** Who reports, and where to: the same for every transition of one keepalived instance. */
export interface NotifyTarget {
  readonly routerId: string;
  readonly host: string;
  readonly term: number;
  readonly queueUrl: string;
  readonly endpoint: string | undefined;
  readonly socketPath: string | undefined;
  readonly region: string;
}

export type NotifyMode =
  /** One transition, from a `notify_master`/`notify_backup`/... hook. */
  | { readonly kind: 'once'; readonly event: HaStateEvent }
  /** Every transition, read from keepalived's `vrrp_notify_fifo` (the FIFO is the last argument). */
  | { readonly kind: 'follow'; readonly fifo: string; readonly instance: string | undefined };

export const NOTIFY_USAGE = `usage: node notify-ha.mjs --router-id ID --host NAME --queue-url URL [--sqs-endpoint URL]
         [--sqs-socket PATH] [--region NAME] [--term N]
         ( --state MASTER|BACKUP|FAULT|STOP --at-ns EPOCH_NS  |  --follow [--instance NAME] FIFO )
  --at-ns    one transition's wall-clock time in ns (the hook's \`date +%s%N\`)
  --follow   read keepalived's notify FIFO (vrrp_notify_fifo_script passes it last) until it
             closes; each line is stamped when read, kept strictly increasing
  The ordering key is (term, µs timestamp): a late older report never overwrites a newer one, and
  with two masters the newer claim wins (guarantee 4, docs/architecture.md). --term (default 0) outranks every timestamp.`;

/** Epoch nanoseconds as `date +%s%N` prints them: 19 digits until the year 2286. */
const EPOCH_NS = /^[1-9]\d{18}$/;
/** keepalived instance names as this project configures them (Neutron: `VR_<id>`). */
export const INSTANCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The `ha.state` event of one transition; the contract's own schema is the last check. */
export function haStateEvent(target: NotifyTarget, state: KeepalivedState, seqUs: number): HaStateEvent {
  return haStateV1.parse({
    type: 'ha.state',
    v: 1,
    routerId: target.routerId,
    host: target.host,
    state: KEEPALIVED_STATES[state],
    term: target.term,
    seq: seqUs,
  });
}

export function isKeepalivedState(value: unknown): value is KeepalivedState {
  return typeof value === 'string' && Object.hasOwn(KEEPALIVED_STATES, value);
}

/** Parses and validates the arguments. Throws a RangeError naming the bad option; nothing is sent then. */
export function parseNotifyArgs(argv: readonly string[]): { target: NotifyTarget; mode: NotifyMode } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      'router-id': { type: 'string' },
      host: { type: 'string' },
      state: { type: 'string' },
      'at-ns': { type: 'string' },
      follow: { type: 'boolean' },
      instance: { type: 'string' },
      term: { type: 'string' },
      'queue-url': { type: 'string' },
      'sqs-endpoint': { type: 'string' },
      'sqs-socket': { type: 'string' },
      region: { type: 'string' },
    },
  });
  const routerId = idSchema.safeParse(values['router-id']);
  if (!routerId.success) throw new RangeError('--router-id must be an id');
  const host = hostSchema.safeParse(values.host);
  if (!host.success) throw new RangeError('--host must be a host name');
  const term = values.term ?? '0';
  if (!/^\d{1,9}$/.test(term)) throw new RangeError('--term must be an integer in 0..999999999');
  const target: NotifyTarget = {
    routerId: routerId.data,
    host: host.data,
    term: Number(term),
    queueUrl: url('queue-url', values['queue-url']),
    endpoint: optionalUrl('sqs-endpoint', values['sqs-endpoint']),
    socketPath: absolutePath('sqs-socket', values['sqs-socket']),
    region: parseRegion(values.region),
  };
  if (values.follow) {
    if (values.state !== undefined || values['at-ns'] !== undefined)
      throw new RangeError('--follow reads the states from the FIFO: no --state or --at-ns');
    if (positionals.length !== 1) throw new RangeError('--follow takes exactly one FIFO path, last');
    const instance = values.instance;
    if (instance !== undefined && !INSTANCE_NAME.test(instance))
      throw new RangeError('--instance must be a keepalived instance name');
    return {
      target,
      mode: { kind: 'follow', fifo: absolutePath('fifo', positionals[0]) as string, instance },
    };
  }
  if (positionals.length > 0) throw new RangeError('unexpected arguments (a FIFO path needs --follow)');
  if (!isKeepalivedState(values.state))
    throw new RangeError(`--state must be one of ${Object.keys(KEEPALIVED_STATES).join('|')}`);
  const atNs = values['at-ns'];
  if (atNs === undefined || !EPOCH_NS.test(atNs)) throw new RangeError('--at-ns must be epoch nanoseconds');
  return {
    target,
    mode: { kind: 'once', event: haStateEvent(target, values.state, Number(BigInt(atNs) / 1000n)) },
  };
}
