import { parseAgentEvent, parseHaEvent, parsePortEvent } from '../../src/contracts/parse.js';
import { isInvalidInputError } from '../../src/core/errors.js';
import { type InboundQueue, seededRandom, type WorkloadMessage } from './workload.js';

const PARSERS: Record<InboundQueue, (body: string) => unknown> = {
  port: parsePortEvent,
  ha: parseHaEvent,
  agent: parseAgentEvent,
};

function rejects(queue: InboundQueue, body: string): boolean {
  try {
    PARSERS[queue](body);
    return false;
  } catch (err) {
    if (!isInvalidInputError(err)) throw err;
    return true;
  }
}

type Json = Record<string, unknown>;

/** Ways to break a valid message: syntax, types, values, limits, versions and the wrong queue. */
function mutations(rnd: () => number): ((o: Json, raw: string) => string)[] {
  const junk = () =>
    rnd()
      .toString(36)
      .slice(2, 3 + Math.floor(rnd() * 8));
  const setDeep = (o: Json, path: string[], v: unknown): Json => {
    const [head, ...rest] = path;
    if (!head) return o;
    const inner = (o[head] ?? {}) as Json;
    return { ...o, [head]: rest.length === 0 ? v : setDeep(typeof inner === 'object' ? inner : {}, rest, v) };
  };
  const field = (o: Json): string[] => {
    const keys = Object.keys(o).filter((k) => k !== 'type' && k !== 'v');
    const k = keys[Math.floor(rnd() * keys.length)] ?? 'x';
    const inner = o[k];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const ik = Object.keys(inner);
      const sub = ik[Math.floor(rnd() * ik.length)];
      if (sub && rnd() < 0.7) return [k, sub];
    }
    return [k];
  };
  const values: unknown[] = [
    null,
    -1,
    1.5,
    '',
    'zz:zz:zz:zz:zz:zz',
    '999.1.1.1',
    '01:00:5e:00:00:01',
    '00:00:00:00:00:00',
    true,
    [],
    {},
    'x'.repeat(300),
    2 ** 60,
    '../../etc/passwd',
    'a b; rm -rf /',
  ];
  const hostile = ['0.0.0.0', '::', '255.255.255.255', '224.0.0.5', 'ff02::1', '127.0.0.1', '::1'];
  const nested = (depth: number): unknown => (depth === 0 ? 'port.upsert' : { t: nested(depth - 1) });
  return [
    // Values DynamoDB cannot store as attributes, echoed into the rejection's details.
    (o) => JSON.stringify({ ...o, v: 2 ** 53 + 2 ** 10 }),
    (o) => JSON.stringify({ ...o, type: 2 ** 60 }),
    (_o, raw) => raw.replace('"v":1', '"v":1e-200'),
    (o) => JSON.stringify({ ...o, type: nested(33 + Math.floor(rnd() * 20)) }),
    (o) => JSON.stringify({ ...o, v: nested(40) }),
    (_o, raw) => raw.slice(0, Math.floor(rnd() * raw.length)),
    (_o, raw) => `${raw}}`,
    () => junk(),
    () => JSON.stringify([1, 2, 3]),
    () => 'null',
    (o) => JSON.stringify({ ...o, type: `${String(o.type)}.${junk()}` }),
    (o) => JSON.stringify({ ...o, v: 2 }),
    (o) => JSON.stringify({ ...o, v: undefined }),
    (o) => {
      const copy = { ...o };
      delete copy[field(o)[0] ?? 'x'];
      return JSON.stringify(copy);
    },
    (o) => JSON.stringify(setDeep(o, field(o), values[Math.floor(rnd() * values.length)])),
    (o) => JSON.stringify({ ...o, padding: 'p'.repeat(17_000) }),
    (o) => JSON.stringify(setDeep(o, ['port', 'deviceOwner'], `network:${junk()}`)),
    (o) => JSON.stringify(setDeep(o, ['port', 'mac'], 'FA:16:3E:00:00')),
    (o) =>
      JSON.stringify(
        setDeep(
          o,
          ['port', 'ips'],
          Array.from({ length: 40 }, (_, i) => `10.9.9.${i}`),
        ),
      ),
    (o) => JSON.stringify(setDeep(o, ['tunnelIp'], '300.1.2.3')),
    // Addresses and segments the agents must refuse: one rule with the reference agent.
    (o) =>
      JSON.stringify(setDeep(o, ['port', 'ips'], [hostile[Math.floor(rnd() * hostile.length)] as string])),
    (o) => JSON.stringify(setDeep(o, ['tunnelIp'], hostile[Math.floor(rnd() * hostile.length)])),
    (o) => JSON.stringify(setDeep(o, ['network', 'segmentId'], rnd() < 0.5 ? 0 : 16_777_216)),
    (o) =>
      JSON.stringify(
        setDeep(
          o,
          ['hosts'],
          Array.from({ length: 20 }, (_, i) => `h${i}`),
        ),
      ),
  ];
}

export interface FuzzedMessage extends WorkloadMessage {
  readonly invalid: true;
}

/**
 * `count` malformed messages derived from the valid ones, each checked to be rejected by the
 * parser of the queue it is sent to, spread over the valid messages' FIFO groups (so a reject that
 * blocked its group would stall valid work), plus semantically invalid events that parse but must
 * be refused by the use-cases (unknown network, segment mismatch, duplicate MAC).
 */
export function fuzzMessages(
  valid: readonly WorkloadMessage[],
  count: number,
  seed: number,
): FuzzedMessage[] {
  const rnd = seededRandom(seed);
  const muts = mutations(rnd);
  const out: FuzzedMessage[] = [];
  const queues: InboundQueue[] = ['port', 'ha', 'agent'];
  while (out.length < count) {
    const base = valid[Math.floor(rnd() * valid.length)] as WorkloadMessage;
    const queue = rnd() < 0.85 ? base.queue : (queues[Math.floor(rnd() * 3)] as InboundQueue);
    const mutate = muts[Math.floor(rnd() * muts.length)] as (typeof muts)[number];
    const body = mutate(JSON.parse(base.body) as Json, base.body);
    if (queue === base.queue && body === base.body) continue;
    if (!rejects(queue, body)) continue;
    out.push({ queue, group: base.group, body, event: null, invalid: true });
  }
  return out;
}

/** Valid syntax, invalid meaning: placed after the first valid event of their network's group. */
export function semanticRejects(valid: readonly WorkloadMessage[]): FuzzedMessage[] {
  const firstUpsert = valid.find((m) => m.event?.type === 'port.upsert');
  if (firstUpsert?.event?.type !== 'port.upsert') return [];
  const e = firstUpsert.event;
  const mk = (body: Json): FuzzedMessage => ({
    queue: 'port',
    group: e.network.id,
    body: JSON.stringify(body),
    event: null,
    invalid: true,
  });
  return [
    mk({ type: 'port.delete', v: 1, portId: 'ghost', networkId: 'never-created', revision: 1 }),
    mk({
      type: 'port.upsert',
      v: 1,
      network: { ...e.network, segmentId: e.network.segmentId + 5000 },
      port: { ...e.port, id: 'seg-x', mac: 'fa:16:3e:ee:ee:01', revision: 1 },
    }),
    mk({ type: 'port.upsert', v: 1, network: e.network, port: { ...e.port, id: 'dup-mac', revision: 1 } }),
    mk({
      type: 'port.upsert',
      v: 1,
      network: e.network,
      port: { ...e.port, id: 'dup-ip', mac: 'fa:16:3e:ee:ee:02', status: 'DOWN', revision: 1 },
    }),
  ];
}

/**
 * Semantically invalid events that need the whole valid history applied first (sent after it):
 * a delete of a port that names another known network than its own (`network_change`).
 */
export function lateRejects(valid: readonly WorkloadMessage[]): FuzzedMessage[] {
  const upserts = valid.flatMap((m) => (m.event?.type === 'port.upsert' ? [m.event] : []));
  const first = upserts[0];
  const other = upserts.find((u) => u.network.id !== first?.network.id);
  if (!first || !other) return [];
  return [
    {
      queue: 'port',
      group: other.network.id,
      body: JSON.stringify({
        type: 'port.delete',
        v: 1,
        portId: first.port.id,
        networkId: other.network.id,
        revision: Number.MAX_SAFE_INTEGER,
      }),
      event: null,
      invalid: true,
    },
  ];
}
