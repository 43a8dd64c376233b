import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { AgentLogger } from '../../agent/create-logger.js';
import { parseAgentConfig } from '../../agent/parse-agent-config.js';
import {
  type Capture,
  CLAIM_BURST_WINDOW_MS,
  type ClaimWatcherDeps,
  createClaimWatcher,
  decideClaim,
  tcpdumpArgs,
  type WatchedPort,
  watchedPortSchema,
} from '../../agent/vip-claim-watcher.js';
import type { VipClaimEvent } from '../../src/contracts/events.js';
import { garp, pcap, unsolicitedNa } from './announcement-frames.js';

const MAC = 'fa:16:3e:00:00:10';
const VMAC = '00:00:5e:00:01:01';
const port = (extra: Record<string, unknown> = {}): WatchedPort =>
  watchedPortSchema.parse({ dev: 'tap-vm', networkId: 'net-1', portId: 'port-1', ...extra });
const WITH_AAP = {
  mac: MAC,
  ips: ['192.0.2.10'],
  allowedAddressPairs: [{ ipAddress: '192.0.2.100' }, { ipAddress: '2001:db8::/64', macAddress: VMAC }],
};

function quietLog(lines: { msg: string; fields?: Record<string, unknown> | undefined }[] = []): AgentLogger {
  const push = (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields });
  return { info: push, warn: push, error: push };
}

/** A watcher whose captures are in-memory streams the test writes pcap bytes into. */
function harness(
  ports: WatchedPort[],
  options: {
    now?: () => number;
    send?: (e: VipClaimEvent) => Promise<void>;
    /** Gathers claims for this many ms and records each SendMessageBatch in `batches`. */
    gatherMs?: number;
    sendBatch?: (es: readonly VipClaimEvent[]) => Promise<void>;
    localPort?: ClaimWatcherDeps['localPort'];
  } = {},
) {
  const sent: VipClaimEvent[] = [];
  const batches: VipClaimEvent[][] = [];
  const logs: { msg: string; fields?: Record<string, unknown> | undefined }[] = [];
  const streams = new Map<string, PassThrough[]>();
  let clock = 1_700_000_000_000;
  const capture = (dev: string): Capture => {
    const stdout = new PassThrough();
    streams.set(dev, [...(streams.get(dev) ?? []), stdout]);
    const exited = new Promise<void>((resolve) => stdout.once('close', () => resolve()));
    return { stdout, exited, stop: () => stdout.destroy() };
  };
  const watcher = createClaimWatcher({
    host: 'compute1',
    ports,
    send: async (e) => {
      sent.push(e);
      await options.send?.(e);
    },
    log: quietLog(logs),
    now: options.now ?? (() => clock++),
    capture,
    restartMs: 1,
    ...(options.localPort ? { localPort: options.localPort } : {}),
    ...(options.gatherMs === undefined
      ? {}
      : {
          gatherMs: options.gatherMs,
          sendBatch: async (es: readonly VipClaimEvent[]) => {
            batches.push([...es]);
            await options.sendBatch?.(es);
          },
        }),
  });
  return { watcher, sent, batches, logs, streams };
}

const flush = () => new Promise((r) => setImmediate(r));
/** More records on a capture whose header was written already. */
const records = (frames: Uint8Array[]) => pcap(frames).subarray(24);

describe('decideClaim', () => {
  it('without known pairs every announcement but the port’s own address is an unverified claim (the controller decides)', () => {
    expect(decideClaim(port(), { kind: 'garp', ip: '192.0.2.100', mac: MAC })).toEqual({
      kind: 'claim',
      basis: 'unverified',
    });
    expect(decideClaim(port(WITH_AAP), { kind: 'garp', ip: '192.0.2.100', mac: MAC })).toEqual({
      kind: 'claim',
      basis: 'file',
    });
  });

  it("decides by the controller's record of the port when it has one, whatever the file lists", () => {
    const record = {
      id: 'port-1',
      mac: MAC,
      ips: ['192.0.2.10'],
      allowedAddressPairs: [{ ipAddress: '198.51.100.0/28', macAddress: VMAC }],
    };
    // the file allows 192.0.2.100; the controller's record does not: the controller wins
    expect(decideClaim(port(WITH_AAP), { kind: 'garp', ip: '192.0.2.100', mac: MAC }, record)).toEqual({
      kind: 'dropped',
      reason: 'no_matching_aap',
    });
    for (const p of [port(), port(WITH_AAP)]) {
      expect(decideClaim(p, { kind: 'garp', ip: '198.51.100.5', mac: VMAC }, record)).toEqual({
        kind: 'claim',
        basis: 'controller',
      });
      // the port's own MAC may announce any address a pair covers
      expect(decideClaim(p, { kind: 'garp', ip: '198.51.100.5', mac: MAC }, record).kind).toBe('claim');
      expect(decideClaim(p, { kind: 'garp', ip: '198.51.100.5', mac: 'fa:16:3e:00:00:99' }, record)).toEqual({
        kind: 'dropped',
        reason: 'mac_mismatch',
      });
      expect(decideClaim(p, { kind: 'garp', ip: '192.0.2.10', mac: MAC }, record).kind).toBe('own_address');
    }
    // a record without pairs: the controller says the port may announce nothing but its own
    expect(
      decideClaim(
        port(),
        { kind: 'garp', ip: '198.51.100.5', mac: MAC },
        { ...record, allowedAddressPairs: [] },
      ),
    ).toEqual({ kind: 'dropped', reason: 'no_matching_aap' });
  });

  it('with known pairs: covered and at an allowed MAC is a claim; anything else is dropped with its reason', () => {
    const p = port(WITH_AAP);
    expect(decideClaim(p, { kind: 'garp', ip: '192.0.2.100', mac: MAC }).kind).toBe('claim');
    expect(decideClaim(p, { kind: 'unsolicited_na', ip: '2001:db8::5', mac: VMAC }).kind).toBe('claim');
    expect(decideClaim(p, { kind: 'unsolicited_na', ip: '2001:db8::5', mac: MAC }).kind).toBe('claim');
    expect(decideClaim(p, { kind: 'garp', ip: '192.0.2.10', mac: MAC }).kind).toBe('own_address');
    expect(decideClaim(p, { kind: 'garp', ip: '192.0.2.20', mac: MAC })).toEqual({
      kind: 'dropped',
      reason: 'no_matching_aap',
    });
    expect(decideClaim(p, { kind: 'garp', ip: '192.0.2.100', mac: VMAC })).toEqual({
      kind: 'dropped',
      reason: 'mac_mismatch',
    });
    expect(decideClaim(p, { kind: 'garp', ip: '192.0.2.10', mac: VMAC })).toEqual({
      kind: 'dropped',
      reason: 'no_matching_aap',
    });
  });

  it('refuses a watched-port file entry that is not strict', () => {
    expect(() => port({ allowedAddressPairs: [{ ipAddress: '192.0.2.100' }] })).toThrow(/needs its mac/);
    expect(() => port({ extra: 1 })).toThrow();
    expect(() => port({ dev: 'tap; rm -rf /' })).toThrow();
    expect(() => port({ mac: MAC, allowedAddressPairs: [{ ipAddress: '224.0.0.18' }] })).toThrow();
  });
});

describe('createClaimWatcher', () => {
  it("forwards unverified until the controller's record arrives, then decides by it, and again without it once the port left", async () => {
    const known = new Map<string, Parameters<typeof decideClaim>[2]>();
    const { watcher, sent, streams } = harness([port()], {
      localPort: (networkId, portId) => known.get(`${networkId}/${portId}`),
    });
    const s = (streams.get('tap-vm') ?? [])[0] as PassThrough;
    s.write(pcap([garp('192.0.2.100', MAC)]));
    await flush();
    expect(sent.map((c) => c.ip)).toEqual(['192.0.2.100']);
    expect(watcher.unverified).toBe(1);
    known.set('net-1/port-1', {
      id: 'port-1',
      mac: MAC,
      ips: ['192.0.2.10'],
      allowedAddressPairs: [{ ipAddress: '192.0.2.101', macAddress: MAC }],
    });
    s.write(records([garp('192.0.2.102', MAC), garp('192.0.2.101', MAC)]));
    await flush();
    expect(sent.map((c) => c.ip)).toEqual(['192.0.2.100', '192.0.2.101']);
    expect(Object.fromEntries(watcher.dropped)).toEqual({ no_matching_aap: 1 });
    expect(watcher.unverified).toBe(1);
    known.delete('net-1/port-1');
    s.write(records([garp('192.0.2.103', MAC)]));
    await flush();
    expect(sent.map((c) => c.ip)).toEqual(['192.0.2.100', '192.0.2.101', '192.0.2.103']);
    expect(watcher.unverified).toBe(2);
    await watcher.stop();
  });

  it('sends one claim per accepted announcement, ordered by (at, seq), and counts what it drops', async () => {
    const { watcher, sent, streams, logs } = harness([port(WITH_AAP)]);
    const s = (streams.get('tap-vm') ?? [])[0] as PassThrough;
    s.write(
      pcap([
        garp('192.0.2.100', MAC),
        garp('192.0.2.10', MAC), // own fixed IP: not a claim, not a drop
        garp('192.0.2.77', MAC), // no pair covers it
        unsolicitedNa('2001:db8::100', VMAC),
        unsolicitedNa('2001:db8::100', VMAC, { hopLimit: 1 }),
        garp('192.0.2.100', MAC, { ethSource: 'fa:16:3e:00:00:99' }),
      ]),
    );
    await flush();
    expect(sent.map((c) => [c.ip, c.mac, c.kind, c.portId, c.networkId, c.host])).toEqual([
      ['192.0.2.100', MAC, 'garp', 'port-1', 'net-1', 'compute1'],
      ['2001:db8::100', VMAC, 'unsolicited_na', 'port-1', 'net-1', 'compute1'],
    ]);
    expect(sent.map((c) => c.seq)).toEqual([0, 1]);
    expect((sent[1] as VipClaimEvent).at).toBeGreaterThan((sent[0] as VipClaimEvent).at);
    expect(Object.fromEntries(watcher.dropped)).toEqual({
      no_matching_aap: 1,
      bad_hop_limit: 1,
      mac_mismatch: 1,
    });
    expect(logs.filter((l) => l.msg === 'vip_claim_dropped')).toHaveLength(3);
    await watcher.stop();
  });

  it('sends one claim per (address, MAC) per burst window: repeats are counted, a new MAC or a later burst is sent', async () => {
    let clock = 1_700_000_000_000;
    const { watcher, sent, streams, logs } = harness([port(WITH_AAP)], { now: () => clock });
    const s = (streams.get('tap-vm') ?? [])[0] as PassThrough;
    // keepalived's burst: each address three times, interleaved, a few ms apart.
    const burst = [
      garp('192.0.2.100', MAC),
      unsolicitedNa('2001:db8::100', VMAC),
      garp('192.0.2.100', MAC),
      unsolicitedNa('2001:db8::100', VMAC),
      garp('192.0.2.100', MAC),
      unsolicitedNa('2001:db8::100', VMAC),
    ];
    s.write(pcap(burst)); // the capture's header, then its records
    await flush();
    expect(sent.map((c) => [c.ip, c.mac, c.seq])).toEqual([
      ['192.0.2.100', MAC, 0],
      ['2001:db8::100', VMAC, 1],
    ]);
    expect(watcher.repeats).toBe(4);
    // The same address at another MAC (a move) is not a repeat: sent at once.
    clock += 10;
    s.write(records([unsolicitedNa('2001:db8::100', MAC)]));
    await flush();
    expect(sent.map((c) => c.mac)).toEqual([MAC, VMAC, MAC]);
    // Just inside the window: still a repeat; at its end: the next burst, sent again.
    clock += CLAIM_BURST_WINDOW_MS - 11;
    s.write(records([garp('192.0.2.100', MAC)]));
    await flush();
    expect(sent).toHaveLength(3);
    clock += 1;
    s.write(records([garp('192.0.2.100', MAC)]));
    await flush();
    expect(sent).toHaveLength(4);
    expect((sent[3] as VipClaimEvent).at).toBe(clock);
    expect(watcher.repeats).toBe(5);
    expect(Object.fromEntries(watcher.dropped)).toEqual({});
    expect(logs.filter((l) => l.msg === 'vip_claim')).toHaveLength(4);
    await watcher.stop();
  });

  it('a claim whose send failed does not open a window: its next repeat is sent', async () => {
    let fail = true;
    const { watcher, sent, streams } = harness([port(WITH_AAP)], {
      send: async () => {
        if (fail) {
          fail = false;
          throw new Error('queue unreachable');
        }
      },
    });
    const s = (streams.get('tap-vm') ?? [])[0] as PassThrough;
    s.write(pcap([garp('192.0.2.100', MAC)]));
    await flush();
    s.write(records([garp('192.0.2.100', MAC), garp('192.0.2.100', MAC)]));
    await flush();
    expect(sent.map((c) => c.seq)).toEqual([0, 1]);
    expect(watcher.repeats).toBe(1);
    await watcher.stop();
  });

  it('gathers the claims of a burst into one batch, in order; a failed batch reopens every window', async () => {
    // The gather window runs on fake timers, so a loaded machine cannot close it between two writes.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let fail = true;
    const { watcher, sent, batches, streams } = harness([port(WITH_AAP)], {
      gatherMs: 5,
      sendBatch: async () => {
        if (fail) {
          fail = false;
          throw new Error('queue unreachable');
        }
      },
    });
    const s = (streams.get('tap-vm') ?? [])[0] as PassThrough;
    s.write(pcap([garp('192.0.2.100', MAC), unsolicitedNa('2001:db8::100', VMAC)]));
    await flush();
    s.write(records([unsolicitedNa('2001:db8::200', VMAC)]));
    await flush();
    expect(batches).toEqual([]); // the window is still open
    await vi.advanceTimersByTimeAsync(20);
    expect(batches.map((b) => b.map((c) => [c.ip, c.seq]))).toEqual([
      [
        ['192.0.2.100', 0],
        ['2001:db8::100', 1],
        ['2001:db8::200', 2],
      ],
    ]);
    // That batch failed: the repeats are sent (gathered again), not counted.
    s.write(records([garp('192.0.2.100', MAC), unsolicitedNa('2001:db8::100', VMAC)]));
    await vi.advanceTimersByTimeAsync(20);
    expect(batches[1]?.map((c) => c.ip)).toEqual(['192.0.2.100', '2001:db8::100']);
    expect(watcher.repeats).toBe(0);
    // A lone claim goes out on its own; stop sends what is still gathered.
    s.write(records([unsolicitedNa('2001:db8::300', VMAC)]));
    await flush();
    await watcher.stop();
    expect(sent.map((c) => c.ip)).toEqual(['2001:db8::300']);
    expect(batches).toHaveLength(2);
  });

  it('restarts a capture whose stream is corrupt, and reads the new one', async () => {
    const { watcher, sent, streams, logs } = harness([port()]);
    ((streams.get('tap-vm') ?? [])[0] as PassThrough).write(
      Buffer.from('this is not pcap, it is 24+ bytes of text'),
    );
    await flush();
    expect(logs.some((l) => l.msg === 'vip_capture_corrupt')).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    const second = streams.get('tap-vm')?.[1];
    expect(second).toBeDefined();
    second?.write(pcap([garp('192.0.2.100', MAC)]));
    await flush();
    expect(sent).toHaveLength(1);
    await watcher.stop();
  });
});

describe('the agent command line and the capture', () => {
  it('reads --vip-ports and refuses a bad file with the option named', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vip-ports-'));
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify([{ dev: 'tap-vm', networkId: 'n', portId: 'p', ...WITH_AAP }]));
    const base = ['--host', 'compute1', '--tunnel-ip', '198.51.100.11'];
    expect(parseAgentConfig([...base, '--vip-ports', good]).vipPorts[0]?.allowedAddressPairs?.[0]).toEqual({
      ipAddress: '192.0.2.100',
      macAddress: MAC,
    });
    const dup = path.join(dir, 'dup.json');
    writeFileSync(
      dup,
      JSON.stringify([
        { dev: 'tap-vm', networkId: 'n', portId: 'p' },
        { dev: 'tap-vm', networkId: 'n', portId: 'q' },
      ]),
    );
    expect(() => parseAgentConfig([...base, '--vip-ports', dup])).toThrow(/--vip-ports .*watched twice/);
    expect(() => parseAgentConfig([...base, '--vip-ports', path.join(dir, 'missing.json')])).toThrow(
      /--vip-ports/,
    );
  });

  it('captures only what the VM sent, as an argument array', () => {
    const args = tcpdumpArgs('tap-vm');
    expect(args.slice(0, 4)).toEqual(['-i', 'tap-vm', '-Q', 'in']);
    expect(args).toContain('--immediate-mode');
  });
});
